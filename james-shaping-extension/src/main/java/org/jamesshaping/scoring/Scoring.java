package org.jamesshaping.scoring;

import java.util.Optional;

import org.apache.commons.configuration2.ex.ConfigurationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one scoring of a James, shared by every SMTP server, WebAdmin and JMX: read once from
 * {@code shaping.properties}. A {@code <reputation>} block still found in a TrafficShaper handler is taken for one
 * more release, with a warning; two sources that disagree stop James at start, since one of them would otherwise
 * be silently ignored.
 */
public final class Scoring {
    private static final Logger LOGGER = LoggerFactory.getLogger(Scoring.class);

    private final boolean fromProperties;
    private volatile ReputationClassifier classifier;
    /** Where the configuration in use came from, for messages. */
    private volatile String source;

    public Scoring(Optional<ScoringConfig> fromProperties) {
        this.fromProperties = fromProperties.isPresent();
        this.classifier = new ReputationClassifier(fromProperties.orElseGet(ScoringConfig::new));
        this.source = fromProperties.isPresent() ? "the scoring.* keys of shaping.properties" : "the defaults";
    }

    public ReputationClassifier classifier() {
        return classifier;
    }

    /**
     * A {@code <reputation>} block read in a TrafficShaper handler ({@code where} names it). Taken if nothing else set
     * the scoring, accepted if it agrees with what did, refused otherwise.
     */
    public synchronized void handlerBlock(ScoringConfig block, String where) throws ConfigurationException {
        boolean firstBlock = !fromProperties && source.equals("the defaults");
        if (!firstBlock && !classifier.settings().equals(block)) {
            throw new ConfigurationException("The <reputation> block of " + where + " disagrees with " + source
                + ": scoring is one per James. Move it to the scoring.* keys of conf/shaping.properties "
                + "(see james-conf/shaping.properties) and remove every <reputation> block from smtpserver.xml");
        }
        LOGGER.warn("The <reputation> block of {} is deprecated and will be ignored in the next release: set the scoring.* "
            + "keys of conf/shaping.properties instead (see james-conf/shaping.properties)", where);
        if (firstBlock) {
            classifier = new ReputationClassifier(block);
            source = "the <reputation> block of " + where;
        }
    }
}
