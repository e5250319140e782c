package org.jamesshaping.filter.mailet;

import java.util.BitSet;
import java.util.Collection;
import java.util.List;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
import org.jamesshaping.scoring.ClassDecision;

/**
 * Matches mail delivered by a connection whose shaping class is one of the listed ones, read from the attribute the
 * shaper sets at the end of DATA (never from a header): {@code SenderShapingClass=8-9}, {@code SenderShapingClass=0,1}.
 * Mail that came in without the shaper (relay networks, mailets, other protocols) has no class and never matches.
 */
public class SenderShapingClass extends GenericMatcher {

    private BitSet classes;

    @Override
    public void init() throws MessagingException {
        classes = parse(getCondition());
    }

    /** {@code "8-9"}, {@code "0,1"} or a mix; each class 0 to 9. */
    static BitSet parse(String condition) throws MessagingException {
        if (condition == null || condition.isBlank()) {
            throw new MessagingException("SenderShapingClass needs classes, e.g. SenderShapingClass=8-9");
        }
        BitSet parsed = new BitSet(ClassDecision.CLASSES);
        for (String part : condition.split(",")) {
            String[] range = part.trim().split("-", -1);
            if (range.length > 2) {
                throw new MessagingException("SenderShapingClass: '" + part.trim() + "' is not a class or a range of classes");
            }
            int from = level(range[0], part);
            int to = range.length == 2 ? level(range[1], part) : from;
            if (to < from) {
                throw new MessagingException("SenderShapingClass: '" + part.trim() + "' is an empty range");
            }
            parsed.set(from, to + 1);
        }
        return parsed;
    }

    private static int level(String text, String part) throws MessagingException {
        try {
            int level = Integer.parseInt(text.trim());
            if (level >= 0 && level < ClassDecision.CLASSES) {
                return level;
            }
        } catch (NumberFormatException e) {
            // Reported below with the part it came from.
        }
        throw new MessagingException("SenderShapingClass: '" + part.trim() + "': classes are 0 to " + (ClassDecision.CLASSES - 1));
    }

    @Override
    public Collection<MailAddress> match(Mail mail) {
        boolean matches = ShapingHeaders.senderClass(mail).map(classes::get).orElse(false);
        return matches ? mail.getRecipients() : List.of();
    }

    @Override
    public String getMatcherInfo() {
        return "james-shaping sender class matcher";
    }
}
