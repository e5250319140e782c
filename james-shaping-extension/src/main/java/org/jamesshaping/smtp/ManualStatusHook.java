package org.jamesshaping.smtp;

import java.net.InetAddress;
import java.util.Optional;
import java.util.Set;

import javax.inject.Inject;

import org.apache.commons.configuration2.Configuration;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HeloHook;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.MailHook;
import org.jamesshaping.runtime.LogText;
import org.jamesshaping.store.ManualStatus;
import org.jamesshaping.store.ReputationStore;
import org.jamesshaping.store.StatusMatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enforces operators' block entries: a blocked address or network gets {@code 554 5.7.1 <reason>} at its first
 * command (HELO/EHLO, or MAIL FROM when the client skips the greeting) and is disconnected. Decided at a
 * command rather than at connect so that behind a PROXY-protocol load balancer the real client is judged.
 * The status comes from the in-memory table: no MongoDB call here.
 *
 * <p>For a handler chain without {@link TrafficShaper}: the shaper enforces block entries itself, the same way,
 * from the decision it makes anyway, which saves two hook calls per message.</p>
 *
 * <pre>{@code <handler class="org.jamesshaping.smtp.ManualStatusHook"/>}</pre>
 */
public class ManualStatusHook implements HeloHook, MailHook {
    private static final Logger LOGGER = LoggerFactory.getLogger(ManualStatusHook.class);
    private static final ProtocolSession.AttachmentKey<Boolean> LOGGED =
        ProtocolSession.AttachmentKey.of("shaping.manualStatus.logged", Boolean.class);

    private final ReputationStore reputation;

    @Inject
    public ManualStatusHook(ReputationStore reputation) {
        this.reputation = reputation;
    }

    @Override
    public void init(Configuration config) {
        HandlerKeys.warnUnknown(ManualStatusHook.class, config, Set.of());
    }

    @Override
    public HookResult doHelo(SMTPSession session, String helo) {
        return check(session);
    }

    @Override
    public HookResult doMail(SMTPSession session, MaybeSender sender) {
        return check(session);
    }

    private HookResult check(SMTPSession session) {
        Optional<InetAddress> client = SmtpSessions.clientAddress(session);
        if (client.isEmpty()) {
            return HookResult.DECLINED;
        }
        Optional<StatusMatch> match = reputation.manualStatus(client.get());
        if (match.isEmpty()) {
            return HookResult.DECLINED;
        }
        ManualStatus status = match.get().status();
        logOnce(session, client.get(), match.get());
        if (status.value() == ManualStatus.Value.BLOCK) {
            return HookResult.builder()
                .hookReturnCode(HookReturnCode.disconnected(HookReturnCode.Action.DENY))
                .smtpReturnCode("554")
                .smtpDescription(SmtpReplies.operatorBlockDescription(status.reason()))
                .build();
        }
        return HookResult.DECLINED;
    }

    private void logOnce(SMTPSession session, InetAddress client, StatusMatch match) {
        if (session.getAttachment(LOGGED, ProtocolSession.State.Connection).isEmpty()) {
            session.setAttachment(LOGGED, true, ProtocolSession.State.Connection);
            LOGGER.info("Manual status for {}: {} (entry {}, reason: {})", client.getHostAddress(),
                match.status().value().asString(), match.key(), LogText.escape(match.status().reason()));
        }
    }
}
