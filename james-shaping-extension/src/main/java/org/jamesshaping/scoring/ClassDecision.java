package org.jamesshaping.scoring;

import java.util.List;
import java.util.function.Supplier;


/**
 * The class a connection is shaped as, and why. {@code exempt}: never shaped, whatever happens later. The
 * reasons are words for logs and operators, built only when read: deciding happens several times per
 * connection on the SMTP path.
 */
public final class ClassDecision {
    /** Classes 0 (trusted) to 9. */
    public static final int CLASSES = 10;
    /** Refused at the first command, never held. */
    public static final int BLOCKED = 9;
    /**
     * The mail attribute holding the class (an Integer) of the connection that delivered a mail, set at the end of
     * DATA: what the mail pipeline may trust about its sender, unlike any header the sender writes.
     */
    public static final String MAIL_ATTRIBUTE = "org.jamesshaping.senderClass";

    private final int level;
    private final Supplier<List<String>> reasons;
    private final boolean exempt;
    private final String operatorBlockReason;

    public ClassDecision(int level, List<String> reasons, boolean exempt) {
        this(level, () -> reasons, exempt);
    }

    public ClassDecision(int level, Supplier<List<String>> reasons, boolean exempt) {
        this(level, reasons, exempt, null);
    }

    private ClassDecision(int level, Supplier<List<String>> reasons, boolean exempt, String operatorBlockReason) {
        this.level = level;
        this.reasons = reasons;
        this.exempt = exempt;
        this.operatorBlockReason = operatorBlockReason;
    }

    /** Class 9 because an operator blocked the sender: refused with the operator's reason, even in dry run. */
    public static ClassDecision blockedByOperator(String reason, Supplier<List<String>> reasons) {
        return new ClassDecision(BLOCKED, reasons, false, reason);
    }

    /** The operator's reason when an operator blocked the sender, else null. */
    public String operatorBlockReason() {
        return operatorBlockReason;
    }

    public int level() {
        return level;
    }

    public List<String> reasons() {
        return List.copyOf(reasons.get());
    }

    public boolean exempt() {
        return exempt;
    }

    public String why() {
        return String.join("; ", reasons.get());
    }

    /** For log calls: rendered only if the line is written. */
    public Object lazyWhy() {
        return new Object() {
            @Override
            public String toString() {
                return why();
            }
        };
    }
}
