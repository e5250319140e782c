package org.jamesshaping.filter.content;

/**
 * Bounds on the work spent on one message, so that a hostile or huge message costs a spooler thread a known
 * amount of time: parts beyond {@link #maxParts} and text beyond {@link #maxTextChars} are not read, and an HTML
 * part is parsed from its first {@link #MAX_HTML_CHARS} characters only.
 */
public final class ContentLimits {
    /**
     * HTML read per part: jsoup builds a tree of all it is given, in time and memory that grow with it. What a reader
     * sees first (text, links, images) is at the start; beyond 256 K characters there is padding, not a message.
     */
    public static final int MAX_HTML_CHARS = 256 * 1024;
    public static final ContentLimits DEFAULT = new ContentLimits(64, 200_000, 64);

    private final int maxParts;
    private final int maxTextChars;
    private final int maxNestingDepth;

    public ContentLimits(int maxParts, int maxTextChars, int maxNestingDepth) {
        if (maxParts < 1 || maxTextChars < 1 || maxNestingDepth < 1) {
            throw new IllegalArgumentException("content limits must be positive");
        }
        this.maxParts = maxParts;
        this.maxTextChars = maxTextChars;
        this.maxNestingDepth = maxNestingDepth;
    }

    public int maxParts() {
        return maxParts;
    }

    public int maxTextChars() {
        return maxTextChars;
    }

    public int maxNestingDepth() {
        return maxNestingDepth;
    }
}
