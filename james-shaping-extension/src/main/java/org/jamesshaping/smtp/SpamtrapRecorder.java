package org.jamesshaping.smtp;

import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

import javax.inject.Inject;
import javax.mail.internet.AddressException;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.jamesshaping.scoring.Signal;
import org.jamesshaping.store.ReputationStore;

/**
 * Records a spamtrap hit when a client names a spamtrap address as a recipient: no real correspondent writes to
 * these addresses, so a sender that does is a spammer. A handler of its own so that servers without traps do not
 * pay for a check on every recipient. Recorded at once, so the shaper's next check on the connection sees it.
 * Place it before {@code TrafficShaper}, so that a recipient the shaper refuses over a limit is still checked.
 *
 * <pre>{@code
 * <handler class="org.jamesshaping.smtp.SpamtrapRecorder">
 *     <spamtrap>trap@example.com</spamtrap>      <!-- one or more -->
 * </handler>
 * }</pre>
 */
public class SpamtrapRecorder implements RcptHook {
    private final ReputationStore reputation;
    private Set<String> spamtraps = Set.of();

    @Inject
    public SpamtrapRecorder(ReputationStore reputation) {
        this.reputation = reputation;
    }

    @Override
    public void init(Configuration config) throws ConfigurationException {
        HandlerKeys.warnUnknown(SpamtrapRecorder.class, config, Set.of("spamtrap"));
        Set<String> traps = new HashSet<>();
        for (String trap : config.getStringArray("spamtrap")) {
            for (String address : trap.split("[,\\s]+")) {
                if (!address.isBlank()) {
                    try {
                        traps.add(new MailAddress(address.trim()).asString().toLowerCase(Locale.US));
                    } catch (AddressException e) {
                        throw new ConfigurationException("SpamtrapRecorder: spamtrap '" + address + "' is not an e-mail address");
                    }
                }
            }
        }
        if (traps.isEmpty()) {
            throw new ConfigurationException("SpamtrapRecorder: no <spamtrap> address configured (remove the handler if there are none)");
        }
        spamtraps = Set.copyOf(traps);
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress rcpt, Map<String, String> parameters) {
        if (rcpt != null && spamtraps.contains(rcpt.asString().toLowerCase(Locale.US))) {
            SmtpSessions.clientAddress(session).ifPresent(client -> reputation.record(client, Signal.SPAMTRAP_HIT));
            ConnectionState state = ConnectionState.of(session);
            if (state != null) {
                state.evidenceAgainst();
            }
        }
        return HookResult.DECLINED;
    }
}
