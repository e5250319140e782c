package org.jamesshaping.smtp;

import java.util.List;

import org.apache.james.protocols.api.Response;

/**
 * A response of zero lines, which James writes as nothing: what a handler returns when the real reply will be
 * written later. Never null: with JMX statistics on (James's default), a null response becomes
 * "451 Unable to process request".
 */
final class NoReply implements Response {
    private final String retCode;

    NoReply(String retCode) {
        this.retCode = retCode == null ? "250" : retCode;
    }

    @Override
    public String getRetCode() {
        return retCode;
    }

    @Override
    public List<CharSequence> getLines() {
        return List.of();
    }

    @Override
    public boolean isEndSession() {
        return false;
    }
}
