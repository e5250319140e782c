package org.jamesshaping;

import java.lang.management.ManagementFactory;

import javax.annotation.PreDestroy;
import javax.inject.Inject;
import javax.management.InstanceAlreadyExistsException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.StandardMBean;

import org.apache.james.utils.UserDefinedStartable;
import org.jamesshaping.admin.ShapingMBean;
import org.jamesshaping.admin.ShapingManagement;
import org.jamesshaping.runtime.Scheduler;
import org.jamesshaping.store.ReputationStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the reputation store with James, registers the JMX MBean, and on shutdown writes what is still buffered.
 * Register in {@code extensions.properties}: {@code guice.extension.startable=org.jamesshaping.ShapingStartable}.
 */
public class ShapingStartable implements UserDefinedStartable {
    private static final Logger LOGGER = LoggerFactory.getLogger(ShapingStartable.class);

    private final ReputationStore reputation;
    private final Scheduler scheduler;
    private final ShapingManagement management;
    private ObjectName registered;

    @Inject
    public ShapingStartable(ReputationStore reputation, Scheduler scheduler, ShapingManagement management) {
        this.reputation = reputation;
        this.scheduler = scheduler;
        this.management = management;
    }

    @Override
    public void start() {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            ObjectName name = new ObjectName(ShapingManagement.OBJECT_NAME);
            server.registerMBean(new StandardMBean(management, ShapingMBean.class), name);
            registered = name;
            LOGGER.info("james-shaping started: MBean {} registered", name);
        } catch (InstanceAlreadyExistsException e) {
            // Only when several James servers share one JVM (tests): the first one keeps the name.
            LOGGER.warn("MBean {} already registered in this JVM; this server's is not", ShapingManagement.OBJECT_NAME);
        } catch (Exception e) {
            throw new IllegalStateException("Could not register " + ShapingManagement.OBJECT_NAME, e);
        }
    }

    @PreDestroy
    public void stop() {
        if (registered != null) {
            try {
                ManagementFactory.getPlatformMBeanServer().unregisterMBean(registered);
            } catch (Exception e) {
                LOGGER.debug("Could not unregister {}", registered, e);
            }
            registered = null;
        }
        // Background work first, so that the final flush is the last write.
        scheduler.close();
        reputation.close();
    }
}
