package org.jamesshaping.filter;

import java.net.InetAddress;
import java.util.Optional;

import javax.inject.Inject;

import org.apache.mailet.Mail;
import org.jamesshaping.scoring.Scoring;
import org.jamesshaping.scoring.Signal;
import org.jamesshaping.scoring.SignalCounts;
import org.jamesshaping.store.ReputationStore;

import com.google.common.net.InetAddresses;

/**
 * Counts content verdicts against the sending IP: known spam, spam and ham. "Did not run" and "unknown" say
 * nothing about the sender and are not counted. A spam verdict weighs with the message's recipients (as many as
 * its good evidence counted) and takes back the good evidence the message earned when it was accepted: a sender
 * cannot buy a good name with mail that turns out to be spam.
 */
public class ReputationVerdictListener implements VerdictListener {
    /** Where signals go; {@link ReputationStore#record} in production, a list in tests. */
    public interface SignalSink {
        void record(InetAddress address, SignalCounts counts);
    }

    private final SignalSink sink;
    private final Scoring scoring;

    @Inject
    public ReputationVerdictListener(ReputationStore reputation, Scoring scoring) {
        this(reputation::record, scoring);
    }

    public ReputationVerdictListener(SignalSink sink, Scoring scoring) {
        this.sink = sink;
        this.scoring = scoring;
    }

    @Override
    public void onVerdict(Mail mail, Verdict verdict) {
        Optional<Signal> signal = signalOf(verdict.outcome());
        Optional<InetAddress> address = remoteAddress(mail.getRemoteAddr());
        if (signal.isEmpty() || address.isEmpty()) {
            return;
        }
        SignalCounts counts = new SignalCounts();
        if (signal.get() == Signal.HAM) {
            counts.add(Signal.HAM);
        } else {
            int recipients = scoring.classifier().settings().countedRecipients(mail.getRecipients().size());
            counts.add(signal.get(), recipients)
                .add(Signal.MESSAGE_ACCEPTED, -1)
                .add(Signal.RECIPIENT_DELIVERED, -recipients);
        }
        sink.record(address.get(), counts);
    }

    static Optional<Signal> signalOf(Verdict.Outcome outcome) {
        switch (outcome) {
            case KNOWN_SPAM:
                return Optional.of(Signal.KNOWN_SPAM);
            case SPAM:
                return Optional.of(Signal.SPAM);
            case HAM:
                return Optional.of(Signal.HAM);
            default:
                return Optional.empty();
        }
    }

    /** Parses a literal IP only: never a DNS lookup on the spooler thread. */
    static Optional<InetAddress> remoteAddress(String remoteAddr) {
        if (remoteAddr == null || !InetAddresses.isInetAddress(remoteAddr)) {
            return Optional.empty();
        }
        return Optional.of(InetAddresses.forString(remoteAddr));
    }
}
