package org.jamesshaping.it;

import java.time.Duration;

/** Polls a condition until it holds or the time is up; the last failure is rethrown. */
public final class Eventually {
    private Eventually() {
    }

    public interface Check {
        void run() throws Exception;
    }

    public static void within(Duration timeout, Check check) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                check.run();
                return;
            } catch (AssertionError | Exception e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }
}
