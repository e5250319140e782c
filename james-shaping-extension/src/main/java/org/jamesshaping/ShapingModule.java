package org.jamesshaping;

import java.io.FileNotFoundException;
import java.nio.file.Path;
import java.time.Clock;

import javax.inject.Singleton;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.filesystem.api.JamesDirectoriesProvider;
import org.apache.james.metrics.api.GaugeRegistry;
import org.apache.james.metrics.api.MetricFactory;
import org.apache.james.utils.PropertiesProvider;
import org.jamesshaping.admin.AdminSettings;
import org.jamesshaping.runtime.Scheduler;
import org.jamesshaping.scoring.Scoring;
import org.jamesshaping.scoring.ScoringConfigReader;
import org.jamesshaping.shaping.ConnectionRegistry;
import org.jamesshaping.shaping.SenderClassifier;
import org.jamesshaping.smtp.ShapingMetrics;
import org.jamesshaping.store.ReputationStore;
import org.jamesshaping.store.SenderReputation;
import org.jamesshaping.store.StoreSettings;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Scopes;

/**
 * Guice bindings for the extension. Register in {@code extensions.properties}:
 * {@code guice.extension.module=org.jamesshaping.ShapingModule}. Every handler, mailet, route and startable of
 * this jar then shares one reputation store.
 */
public class ShapingModule extends AbstractModule {
    public static final String PROPERTIES = "shaping";

    @Override
    protected void configure() {
        // Explicit, so that these singletons live in the extension's injector and are shared by every handler,
        // route and mailet of this jar.
        bind(SenderClassifier.class).in(Scopes.SINGLETON);
        bind(ConnectionRegistry.class).in(Scopes.SINGLETON);
        bind(ShapingMetrics.class).in(Scopes.SINGLETON);
        bind(Scheduler.class).in(Scopes.SINGLETON);
        bind(SenderReputation.class).to(ReputationStore.class);
    }

    @Provides
    @Singleton
    StoreSettings storeSettings(PropertiesProvider propertiesProvider, JamesDirectoriesProvider directories) throws ConfigurationException {
        Configuration properties = shapingProperties(propertiesProvider);
        StoreSettings.warnUnknownKeys(properties);
        return StoreSettings.from(properties, Path.of(directories.getVarDirectory()));
    }

    @Provides
    @Singleton
    AdminSettings adminSettings(PropertiesProvider propertiesProvider) throws ConfigurationException {
        return AdminSettings.from(shapingProperties(propertiesProvider));
    }

    @Provides
    @Singleton
    Scoring scoring(PropertiesProvider propertiesProvider) throws ConfigurationException {
        return new Scoring(ScoringConfigReader.fromProperties(shapingProperties(propertiesProvider)));
    }

    private static Configuration shapingProperties(PropertiesProvider propertiesProvider) throws ConfigurationException {
        try {
            return propertiesProvider.getConfiguration(PROPERTIES);
        } catch (FileNotFoundException e) {
            throw new ConfigurationException("conf/" + PROPERTIES + ".properties is missing: the james-shaping extension "
                + "needs it (at least mongo.uri); see james-conf/shaping.properties", e);
        }
    }

    @Provides
    @Singleton
    ReputationStore reputationStore(StoreSettings settings, Scheduler scheduler, MetricFactory metricFactory, GaugeRegistry gaugeRegistry) {
        return new ReputationStore(settings, scheduler, metricFactory, gaugeRegistry, Clock.systemUTC());
    }
}
