package org.jamesshaping.shaping;

import java.util.List;

/** The class a connection is shaped as, and why. {@code exempt}: never shaped, whatever happens later. */
public final class ClassDecision {
    private final int level;
    private final List<String> reasons;
    private final boolean exempt;

    public ClassDecision(int level, List<String> reasons, boolean exempt) {
        this.level = level;
        this.reasons = List.copyOf(reasons);
        this.exempt = exempt;
    }

    public int level() {
        return level;
    }

    public List<String> reasons() {
        return reasons;
    }

    public boolean exempt() {
        return exempt;
    }

    public String why() {
        return String.join("; ", reasons);
    }
}
