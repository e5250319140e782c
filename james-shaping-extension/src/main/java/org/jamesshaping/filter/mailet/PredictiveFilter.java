package org.jamesshaping.filter.mailet;

import java.time.Duration;
import java.util.Optional;

import javax.inject.Inject;
import javax.mail.MessagingException;
import javax.mail.internet.MimeMessage;

import org.apache.mailet.Mail;
import org.jamesshaping.filter.FilterStores;
import org.jamesshaping.filter.Verdict;
import org.jamesshaping.filter.VerdictListener;
import org.jamesshaping.filter.content.Deadline;
import org.jamesshaping.filter.content.MessageContent;
import org.jamesshaping.filter.predictive.PredictiveModel;
import org.jamesshaping.filter.predictive.PredictiveModelService;
import org.jamesshaping.store.MongoConnection;
import org.jamesshaping.store.StoreSettings;

/**
 * Predictive filter: scores header and body tokens and structural features with the trained
 * {@link PredictiveModel}, shared through MongoDB ({@code model=mongo}, the default) or read from a model file.
 *
 * <p>Headers: {@code X-Shaping-Score: 0.9731} and {@code X-Shaping-Verdict: spam|ham}, or
 * {@code X-Shaping-Score: not-run; reason=...}. Mail already judged known spam by {@link FingerprintFilter}
 * (which must run first) keeps that verdict and is not scored. Parameters are documented in docs/filters.md.</p>
 */
public class PredictiveFilter extends ContentFilterMailet {
    private PredictiveModelService models;
    private Optional<Double> threshold = Optional.empty();

    /** As James builds it: MongoDB from conf/shaping.properties unless the mailet's parameters say otherwise. */
    @Inject
    public PredictiveFilter(FilterStores stores, VerdictListener listener, StoreSettings settings) {
        super(stores, listener, MongoConnection.of(settings));
    }

    @Override
    public void init() throws MessagingException {
        super.init();
        String model = stringParameter("model", "mongo");
        // Learning from operator reports only applies to the shared model; a model file is the operator's own.
        Duration learnInterval = durationOrZeroParameter("learnInterval", Duration.ofSeconds(60));
        models = stores.models(model, mongoConnection(), durationParameter("refreshInterval", Duration.ofSeconds(60)),
            model.equals("mongo") ? learnInterval : Duration.ZERO);
        if (getInitParameter("threshold") != null) {
            threshold = Optional.of(doubleParameter("threshold", PredictiveModel.DEFAULT_THRESHOLD, 0.0, 1.0));
        }
    }

    @Override
    public String getMailetInfo() {
        return "james-shaping predictive content filter";
    }

    @Override
    protected Verdict.Filter filter() {
        return Verdict.Filter.PREDICTIVE;
    }

    @Override
    protected Verdict judge(Mail mail, MimeMessage message, int size, Deadline deadline) throws MessagingException {
        Optional<PredictiveModel> model = models.current();
        if (model.isEmpty()) {
            return Verdict.notRun(Verdict.Filter.PREDICTIVE, "no-model");
        }
        PredictiveModel current = model.get();
        MessageContent content = extractor.extract(message, size, deadline);
        // Feature hashing is linear in the bounded text; the budget is checked between the stages.
        deadline.check();
        double score = current.score(current.featureExtractor().features(content));
        boolean spam = threshold.map(value -> score >= value).orElseGet(() -> current.isSpam(score));
        return Verdict.scored(score, spam);
    }

    @Override
    protected void mark(Mail mail, Verdict verdict) throws MessagingException {
        MimeMessage message = mail.getMessage();
        if (verdict.outcome() == Verdict.Outcome.NOT_RUN) {
            if (!ShapingHeaders.isKnownSpam(mail)) {
                message.removeHeader(ShapingHeaders.VERDICT);
                setAttribute(mail, ShapingHeaders.VERDICT_ATTRIBUTE, verdict.outcome().header());
            }
            message.setHeader(ShapingHeaders.SCORE, notRunHeader(verdict));
        } else {
            message.setHeader(ShapingHeaders.SCORE, formatScore(verdict.score()));
            message.setHeader(ShapingHeaders.VERDICT, verdict.outcome().header());
            setAttribute(mail, ShapingHeaders.SCORE_ATTRIBUTE, verdict.score());
            setAttribute(mail, ShapingHeaders.VERDICT_ATTRIBUTE, verdict.outcome().header());
        }
        message.saveChanges();
    }

    /** Known spam is not scored again: the fingerprint verdict is stronger evidence. */
    @Override
    protected boolean skip(Mail mail) {
        return ShapingHeaders.isKnownSpam(mail);
    }
}
