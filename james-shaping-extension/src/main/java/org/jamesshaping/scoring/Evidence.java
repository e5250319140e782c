package org.jamesshaping.scoring;

/**
 * What is known about one key (an address or its network) as the classifier weighs it: each signal's decayed count
 * now. The store's snapshots are evidence; tests give their own.
 */
public interface Evidence {
    double decayed(Signal signal);
}
