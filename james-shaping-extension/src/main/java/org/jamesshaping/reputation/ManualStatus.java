package org.jamesshaping.reputation;

import java.time.Instant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/** An operator's decision about an address or network: always allow, or always block, until it expires. */
public final class ManualStatus {
    public enum Value {
        ALLOW, BLOCK;

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
            throw new IllegalArgumentException("status must be 'allow' or 'block', got '" + text + "'");
        }
    }

    private final Value value;
    private final String reason;
    private final Instant setAt;
    private final Optional<Instant> expiresAt;
    private final String setBy;

    public ManualStatus(Value value, String reason, Instant setAt, Optional<Instant> expiresAt, String setBy) {
        this.value = Objects.requireNonNull(value);
        this.reason = reason == null || reason.isBlank() ? defaultReason(value) : reason.trim();
        this.setAt = Objects.requireNonNull(setAt);
        this.expiresAt = Objects.requireNonNull(expiresAt);
        this.setBy = setBy == null ? "unknown" : setBy;
    }

    private static String defaultReason(Value value) {
        return value == Value.BLOCK ? "Blocked by the postmaster" : "Allowed by the postmaster";
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
}
