package org.jamesshaping.store;

import java.net.InetAddress;
import java.time.Duration;

import org.jamesshaping.scoring.Standing;

/**
 * What the shaper's decisions read: answered from memory, never waiting on MongoDB. {@link ReputationStore} is the
 * implementation; policy tests give their own.
 */
public interface SenderReputation {
    /** What is known about a sender now; a record not cached yet is read in the background meanwhile. */
    SenderView sender(InetAddress address);

    /**
     * A number that moves whenever a sender may have started to look worse to this server: a signal against a
     * sender recorded here, a record read from MongoDB holding more against its sender (or less for it) than the
     * copy it replaces, an operator status set, removed or changed. Decisions taken before it moved may be stale.
     */
    long changes();

    /**
     * An address's standing on its own evidence changed: its network counts it under the new one (and no longer under
     * the old). Called at the change, on the SMTP path: in memory only.
     */
    void standingChanged(ReputationKey address, Standing before, Standing now);

    /** How long a standing counts in its network at full weight: the decay half-life. */
    Duration halfLife();
}
