package org.jamesshaping.store;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * An operator's decision about an address or network, until it expires: always allow (never shaped or blocked),
 * always block (554 at the first command), or pin to a shaping class.
 */
public final class ManualStatus {
    public enum Value {
        ALLOW, BLOCK, PIN;

        public String asString() {
            return name().toLowerCase(Locale.US);
        }

        public static Value parse(String text) {
            if (text != null) {
                for (Value value : values()) {
                    if (value.asString().equalsIgnoreCase(text.trim())) {
                        return value;
                    }
                }
            }
            throw new IllegalArgumentException("status must be 'allow' or 'block' (or give a 'class' to pin), got '" + text + "'");
        }
    }

    private final Value value;
    private final String reason;
    private final Instant setAt;
    private final Optional<Instant> expiresAt;
    private final String setBy;
    private final int pinnedClass;

    public ManualStatus(Value value, String reason, Instant setAt, Optional<Instant> expiresAt, String setBy) {
        this(value, -1, reason, setAt, expiresAt, setBy);
    }

    public ManualStatus(Value value, int pinnedClass, String reason, Instant setAt, Optional<Instant> expiresAt, String setBy) {
        if (value == Value.PIN && (pinnedClass < 0 || pinnedClass > 9)) {
            throw new IllegalArgumentException("class must be 0 to 9, got " + pinnedClass);
        }
        this.pinnedClass = value == Value.PIN ? pinnedClass : -1;
        this.value = Objects.requireNonNull(value);
        this.reason = reason == null || reason.isBlank() ? defaultReason(value) : reason.trim();
        this.setAt = Objects.requireNonNull(setAt);
        this.expiresAt = Objects.requireNonNull(expiresAt);
        this.setBy = setBy == null ? "unknown" : setBy;
    }

    private static String defaultReason(Value value) {
        switch (value) {
            case BLOCK: return "Blocked by the postmaster";
            case ALLOW: return "Allowed by the postmaster";
            default: return "Class set by the postmaster";
        }
    }

    /** The class a PIN status sets; empty for allow and block. */
    public Optional<Integer> pinnedClass() {
        return pinnedClass < 0 ? Optional.empty() : Optional.of(pinnedClass);
    }

    public Value value() {
        return value;
    }

    public String reason() {
        return reason;
    }

    public Instant setAt() {
        return setAt;
    }

    public Optional<Instant> expiresAt() {
        return expiresAt;
    }

    public String setBy() {
        return setBy;
    }

    public boolean isActiveAt(Instant now) {
        return expiresAt.map(now::isBefore).orElse(true);
    }

    /** Same value, class, reason, times and author: how a reload of the statuses tells whether anything changed. */
    @Override
    public boolean equals(Object other) {
        if (!(other instanceof ManualStatus)) {
            return false;
        }
        ManualStatus that = (ManualStatus) other;
        return value == that.value && pinnedClass == that.pinnedClass && reason.equals(that.reason)
            && setAt.equals(that.setAt) && expiresAt.equals(that.expiresAt) && setBy.equals(that.setBy);
    }

    @Override
    public int hashCode() {
        return Objects.hash(value, pinnedClass, reason, setAt, expiresAt, setBy);
    }
}
