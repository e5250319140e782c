package org.jamesshaping.filter.mailet;

import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

import javax.mail.MessagingException;

import org.apache.james.core.MailAddress;
import org.apache.mailet.Mail;
import org.apache.mailet.base.GenericMatcher;
import org.jamesshaping.filter.Verdict;

/**
 * Matches mail whose content-filter verdict (the mail attribute, never the forgeable header) is one of the
 * listed ones: {@code HasShapingVerdict=known-spam,spam}. With no condition: {@code known-spam,spam}.
 */
public class HasShapingVerdict extends GenericMatcher {
    private Set<String> verdicts;

    @Override
    public void init() throws MessagingException {
        String condition = getCondition();
        List<String> wanted = condition == null || condition.isBlank()
            ? List.of(Verdict.Outcome.KNOWN_SPAM.header(), Verdict.Outcome.SPAM.header())
            : Arrays.stream(condition.split(",")).map(String::trim).map(value -> value.toLowerCase(Locale.ROOT))
                .filter(value -> !value.isEmpty()).collect(Collectors.toList());
        Set<String> known = Arrays.stream(Verdict.Outcome.values()).map(Verdict.Outcome::header).collect(Collectors.toSet());
        for (String verdict : wanted) {
            if (!known.contains(verdict)) {
                throw new MessagingException("HasShapingVerdict: unknown verdict '" + verdict + "', expected some of " + known);
            }
        }
        verdicts = Set.copyOf(wanted);
    }

    @Override
    public Collection<MailAddress> match(Mail mail) {
        boolean matches = mail.getAttribute(ShapingHeaders.VERDICT_ATTRIBUTE)
            .map(attribute -> String.valueOf(attribute.getValue().value()))
            .map(verdicts::contains)
            .orElse(false);
        return matches ? mail.getRecipients() : List.of();
    }

    @Override
    public String getMatcherInfo() {
        return "james-shaping content-filter verdict matcher";
    }
}
