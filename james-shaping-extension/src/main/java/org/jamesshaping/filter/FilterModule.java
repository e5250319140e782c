package org.jamesshaping.filter;

import com.google.inject.AbstractModule;
import com.google.inject.Scopes;

/**
 * Guice bindings of the content filters. Not strictly needed ({@link VerdictListener} defaults to
 * {@link ReputationVerdictListener} and {@link FilterStores} is a JIT singleton), but registering it makes the
 * bindings explicit and lets a deployment override the listener in one place.
 */
public class FilterModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(FilterStores.class).in(Scopes.SINGLETON);
        bind(VerdictListener.class).to(ReputationVerdictListener.class);
    }
}
