package org.jamesshaping.filter;

import org.apache.mailet.Mail;

import com.google.inject.ImplementedBy;

/**
 * Told of every content-filter verdict, on the spooler thread that produced it, so it must return quickly and
 * never throw (the mailets catch and log what it throws anyway). The default implementation feeds the
 * reputation store; bind another in an extension's Guice module to replace it (an explicit binding wins over
 * {@code @ImplementedBy}, so no module of this jar binds it).
 */
@ImplementedBy(ReputationVerdictListener.class)
public interface VerdictListener {
    /** @param mail the mail judged; {@link Mail#getRemoteAddr()} is the connecting client's IP */
    void onVerdict(Mail mail, Verdict verdict);
}
