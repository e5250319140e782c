package org.jamesshaping.bench.shaping;

import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.DisconnectHandler;
import org.apache.james.protocols.api.handler.ProtocolHandler;
import org.apache.james.protocols.api.handler.ProtocolHandlerResultHandler;
import org.apache.james.protocols.smtp.SMTPSession;

/** For the overhead benchmark's N variant only: the signal recorder's place and interfaces in the chain, no work. */
public class NoopSignalRecorder implements ProtocolHandlerResultHandler<Response, SMTPSession>, DisconnectHandler<SMTPSession> {
    @Override
    public Response onResponse(ProtocolSession session, Response response, long executionTime, ProtocolHandler handler) {
        return response;
    }

    @Override
    public void onDisconnect(SMTPSession session) {
    }
}
