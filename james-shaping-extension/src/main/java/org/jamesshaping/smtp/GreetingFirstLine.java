package org.jamesshaping.smtp;

import java.util.List;

import org.apache.james.protocols.api.Response;

/**
 * The first line of a multi-line greeting ({@code 220-...}), written at once while the last one waits: a client
 * that talks before the end of the greeting gives itself away, as Postfix's postscreen finds them.
 */
final class GreetingFirstLine implements Response {
    private final List<CharSequence> lines;

    GreetingFirstLine(Response greeting) {
        String first = greeting.getLines().isEmpty() ? "220 ESMTP" : greeting.getLines().get(0).toString();
        this.lines = List.of("220-" + (first.length() > 4 ? first.substring(4) : first));
    }

    @Override
    public String getRetCode() {
        return "220";
    }

    @Override
    public List<CharSequence> getLines() {
        return lines;
    }

    @Override
    public boolean isEndSession() {
        return false;
    }
}
