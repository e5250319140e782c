package org.jamesshaping.launcher;

import org.apache.james.FakeSearchMailboxModule;
import org.apache.james.GuiceJamesServer;
import org.apache.james.MemoryJamesConfiguration;
import org.apache.james.MemoryJamesServerMain;
import org.apache.james.data.UsersRepositoryModuleChooser;
import org.apache.james.modules.server.JMXServerModule;
import org.apache.james.utils.GuiceProbe;

import com.google.inject.Module;
import com.google.inject.multibindings.Multibinder;

/** Builds a James 3.8.1 memory server on a {@link JamesHome}, as {@code MemoryJamesServerMain.main} does. */
public final class JamesServers {
    private JamesServers() {
    }

    /**
     * @param withJmx adds James's JMX server (jmx.properties); only one per JVM can listen on a port
     */
    public static GuiceJamesServer create(JamesHome home, boolean withJmx, Module... extra) {
        MemoryJamesConfiguration configuration = MemoryJamesConfiguration.builder()
            .workingDirectory(home.root().toFile())
            .usersRepository(UsersRepositoryModuleChooser.Implementation.DEFAULT)
            .build();
        GuiceJamesServer server = MemoryJamesServerMain.createServer(configuration)
            .combineWith(binder -> Multibinder.newSetBinder(binder, GuiceProbe.class).addBinding().to(ServerProbe.class))
            .combineWith(extra);
        if (withJmx) {
            // As MemoryJamesServerMain.main: JMX's re-indexing MBean needs a search index.
            server = server.combineWith(new FakeSearchMailboxModule(), new JMXServerModule());
        }
        return server;
    }
}
