package org.jamesshaping.smtp;

import io.netty.channel.Channel;

/**
 * Who wants a connection's reads paused. Two independent parts of shaping stop reading: the reply queue (while
 * delayed replies are pending, so pipelined commands back up in the client's socket rather than in ours) and the
 * read throttle (while a byte budget is in debt). Reading resumes only when neither wants it paused. Used on the
 * connection's event loop only.
 */
final class ReadGate {
    static final int REPLIES = 1;
    static final int THROTTLE = 2;

    private final Channel channel;
    private int pausedBy;

    ReadGate(Channel channel) {
        this.channel = channel;
    }

    void pause(int reason) {
        boolean wasOpen = pausedBy == 0;
        pausedBy |= reason;
        if (wasOpen) {
            channel.config().setAutoRead(false);
        }
    }

    void resume(int reason) {
        if ((pausedBy & reason) == 0) {
            return;
        }
        pausedBy &= ~reason;
        if (pausedBy == 0 && channel.isActive()) {
            channel.config().setAutoRead(true);
            channel.read();
        }
    }

}
