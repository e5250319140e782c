package org.jamesshaping.admin;

/**
 * Reputation operations over JMX, registered as {@value ShapingManagement#OBJECT_NAME}. Results are JSON text,
 * the same documents as WebAdmin's, so that the CLI runs with nothing but the JDK and this jar. Bad input raises
 * {@link IllegalArgumentException} with an operator-readable message.
 */
public interface ShapingMBean {
    String reputation(String ipOrCidr);

    String top(int limit);

    /** {@link #top} as a text table. */
    String topTable(int limit);

    /** Operator entries in force, of one status ({@code block}, {@code allow}, {@code pin}) or all (null), by address. */
    String statuses(String status, int limit, int offset);

    /** {@link #statuses} as a text table. */
    String statusesTable(String status, int limit, int offset);

    /** Every entry in force as a {@link StatusFile}. */
    String exportStatuses();

    /** Sets every entry of a {@link StatusFile}, checked whole first (one bad line: nothing stored). */
    String importStatuses(String file, boolean force);

    String setStatus(String ipOrCidr, String status, String reason, String ttl);

    /** {@code force}: a network wider than {@code admin.status.min.prefix.ipv4/ipv6} (refused otherwise). */
    String setStatus(String ipOrCidr, String status, String reason, String ttl, boolean force);

    String pin(String ipOrCidr, int shapingClass, String reason, String ttl);

    String pin(String ipOrCidr, int shapingClass, String reason, String ttl, boolean force);

    void report(String ip, String verdict);

    boolean forget(String ipOrCidr);

    int getWriteBehindDepth();

    long getDroppedUpdates();
}
