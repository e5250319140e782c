package org.jamesshaping.smtp;

import java.util.List;
import java.util.stream.Collectors;

import org.apache.james.protocols.lib.handler.HandlersPackage;
import org.apache.james.smtpserver.CoreCmdHandlerLoader;
import org.apache.james.smtpserver.JamesWelcomeMessageHandler;

/**
 * James's core SMTP handlers without its welcome handler, which would write the greeting at once: the
 * {@link TrafficShaper} writes it, possibly later. Set on the handler chain:
 * {@code <handlerchain coreHandlersPackage="org.jamesshaping.smtp.ShapingCoreCmdHandlerLoader">}.
 * The list is James's own, so it follows James upgrades.
 */
public class ShapingCoreCmdHandlerLoader implements HandlersPackage {
    private final List<String> handlers = new CoreCmdHandlerLoader().getHandlers().stream()
        .filter(name -> !name.equals(JamesWelcomeMessageHandler.class.getName()))
        .collect(Collectors.toUnmodifiableList());

    @Override
    public List<String> getHandlers() {
        return handlers;
    }
}
