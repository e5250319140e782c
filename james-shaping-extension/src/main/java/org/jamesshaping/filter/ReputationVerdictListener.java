package org.jamesshaping.filter;

import java.net.InetAddress;
import java.util.Optional;

import javax.inject.Inject;

import org.apache.mailet.Mail;
import org.jamesshaping.scoring.Signal;
import org.jamesshaping.store.ReputationStore;

import com.google.common.net.InetAddresses;

/**
 * Counts content verdicts against the sending IP: known spam, spam and ham. "Did not run" and "unknown" say
 * nothing about the sender and are not counted.
 */
public class ReputationVerdictListener implements VerdictListener {
    /** Where signals go; {@link ReputationStore#record} in production, a list in tests. */
    public interface SignalSink {
        void record(InetAddress address, Signal signal);
    }

    private final SignalSink sink;

    @Inject
    public ReputationVerdictListener(ReputationStore reputation) {
        this(reputation::record);
    }

    public ReputationVerdictListener(SignalSink sink) {
        this.sink = sink;
    }

    @Override
    public void onVerdict(Mail mail, Verdict verdict) {
        Optional<Signal> signal = signalOf(verdict.outcome());
        Optional<InetAddress> address = remoteAddress(mail.getRemoteAddr());
        if (signal.isPresent() && address.isPresent()) {
            sink.record(address.get(), signal.get());
        }
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
