package org.jamesshaping.smtp;

import java.net.InetAddress;

import org.jamesshaping.scoring.SignalCounts;

/** What the signal recorder keeps about one connection (in its {@link ConnectionState}). */
final class RecordedSignals {
    /** Taken at the first command: behind a PROXY-protocol load balancer, the real client by then. */
    final InetAddress client;
    final SignalCounts unrecorded = new SignalCounts();
    boolean connectionCounted;
    /** DATA was answered 354 and the message is not known to be complete yet. */
    boolean inData;
    /** AUTH was answered 334: its outcome is known at the next command or at disconnect. */
    boolean authPending;
    /** Something against the sender was recorded on this connection: its standing may have changed. */
    boolean evidenceAgainst;
    /** Distinct recipients the current transaction has had accepted, and how many it named that do not exist. */
    int transactionRecipients;
    int transactionUnknown;

    RecordedSignals(InetAddress client) {
        this.client = client;
    }
}
