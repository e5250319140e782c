package org.jamesshaping.admin;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.ErrorResponder;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.jamesshaping.filter.FilterStores;
import org.jamesshaping.filter.content.ContentExtractor;
import org.jamesshaping.filter.content.ContentLimits;
import org.jamesshaping.filter.content.MessageContent;
import org.jamesshaping.filter.fingerprint.Fingerprint;
import org.jamesshaping.filter.fingerprint.FingerprintService;
import org.jamesshaping.filter.fingerprint.Fingerprinter;
import org.jamesshaping.filter.fingerprint.SpamSignature;
import org.jamesshaping.filter.predictive.TrainingReports;
import org.jamesshaping.store.MongoConnection;
import org.jamesshaping.store.StoreSettings;

import com.mongodb.MongoException;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * Operators report misjudged mail to the content filters, with the raw message (RFC 5322, as saved from a mail
 * client). Register in {@code webadmin.properties}: {@code extensions.routes=...,org.jamesshaping.admin.ContentReportRoutes}.
 *
 * <pre>
 * POST /shaping/reports/spam     a spam that got through: its fingerprint joins the shared known-spam store (when its
 *                                body is long enough) and the predictive model learns it
 *   201 {"fingerprint":{"id":"..."} | {"skipped":"why"}, "training":{"id":"...","state":"pending","reports":1}}
 * POST /shaping/reports/ham      a legitimate message judged spam: the predictive model learns it
 *   201 {"training":{...}}
 * GET  /shaping/reports?state=pending|applied|rejected&limit=100    the latest reports, without their messages
 * POST /shaping/fingerprints     the fingerprint only: 201 {"id":"...","source":"operator"}
 *
 * 400 when the body is empty, not a readable message, larger than 4 MB, or (fingerprints) too short to fingerprint;
 * 503 when MongoDB is unavailable (nothing was recorded: report again).
 * </pre>
 * The same as {@code ./james-shaping filter report-spam|report-ham FILE}. Reports are learned by the servers'
 * predictive filters every {@code learnInterval} (see docs/filters.md). Fingerprints use the filter's defaults
 * (threshold 0.5, 200 characters minimum, refresh 10s), so they share the mailet's in-memory index when the
 * mailet uses them too, and it matches the reported spam's variants at once.
 */
public class ContentReportRoutes implements Routes {
    public static final String BASE_PATH = "/shaping/reports";
    public static final String FINGERPRINTS_PATH = "/shaping/fingerprints";
    private static final int MAX_LIST = 1000;

    private final FilterStores stores;
    private final MongoConnection connection;
    private final JsonTransformer json = new JsonTransformer();

    @Inject
    public ContentReportRoutes(FilterStores stores, StoreSettings settings) {
        this.stores = stores;
        this.connection = MongoConnection.of(settings);
    }

    @Override
    public String getBasePath() {
        return BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.post(BASE_PATH + "/spam", (request, response) -> report(request, response, true), json);
        service.post(BASE_PATH + "/ham", (request, response) -> report(request, response, false), json);
        service.get(BASE_PATH, this::list, json);
        service.post(FINGERPRINTS_PATH, this::fingerprintOnly, json);
    }

    private Object report(Request request, Response response, boolean spam) {
        byte[] raw = rawMessage(request);
        MessageContent content = readable(raw);
        Map<String, Object> result = new LinkedHashMap<>();
        unavailableOnMongoError(() -> {
            if (spam) {
                Optional<Fingerprint> fingerprint = new Fingerprinter(Fingerprinter.DEFAULT_MIN_TEXT_CHARS).fingerprint(content);
                result.put("fingerprint", fingerprint
                    .map(value -> (Object) Map.of("id", fingerprints().report(value, SpamSignature.Source.OPERATOR_REPORT).id()))
                    .orElseGet(() -> Map.of("skipped", tooShort())));
            }
            TrainingReports.Report report = stores.trainingReports(connection).add(raw, spam, "operator", Instant.now());
            result.put("training", describe(report));
        });
        response.status(201);
        return result;
    }

    private Object list(Request request, Response response) {
        Optional<TrainingReports.State> state;
        int limit;
        try {
            String stateParam = request.queryParams("state");
            state = stateParam == null ? Optional.empty() : Optional.of(TrainingReports.State.fromStored(stateParam));
            String limitParam = request.queryParams("limit");
            limit = limitParam == null ? 100 : Integer.parseInt(limitParam);
        } catch (IllegalArgumentException e) {
            throw badRequest("state must be pending, applied or rejected, and limit a number from 1 to " + MAX_LIST);
        }
        if (limit < 1 || limit > MAX_LIST) {
            throw badRequest("limit must be from 1 to " + MAX_LIST);
        }
        List<Map<String, Object>> result = new ArrayList<>();
        unavailableOnMongoError(() -> {
            for (TrainingReports.Report report : stores.trainingReports(connection).list(state, limit)) {
                result.add(describe(report));
            }
        });
        return result;
    }

    private Object fingerprintOnly(Request request, Response response) {
        MessageContent content = readable(rawMessage(request));
        Optional<Fingerprint> fingerprint = new Fingerprinter(Fingerprinter.DEFAULT_MIN_TEXT_CHARS).fingerprint(content);
        if (fingerprint.isEmpty()) {
            throw badRequest("Not fingerprinted: " + tooShort());
        }
        SpamSignature[] signature = new SpamSignature[1];
        unavailableOnMongoError(() -> signature[0] = fingerprints().report(fingerprint.get(), SpamSignature.Source.OPERATOR_REPORT));
        response.status(201);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("id", signature[0].id());
        result.put("source", "operator");
        return result;
    }

    private FingerprintService fingerprints() {
        return stores.fingerprints(connection, 0.5, Duration.ofSeconds(10));
    }

    private static String tooShort() {
        return "the message's text is shorter than " + Fingerprinter.DEFAULT_MIN_TEXT_CHARS
            + " characters once normalised (short and empty bodies would match legitimate mail)";
    }

    private static Map<String, Object> describe(TrainingReports.Report report) {
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("id", report.id());
        result.put("label", report.label());
        result.put("state", report.state().stored());
        result.put("reports", report.reports());
        result.put("size", report.size());
        result.put("source", report.source());
        result.put("reportedAt", report.reportedAt().toString());
        report.appliedIn().ifPresent(version -> result.put("appliedIn", version));
        report.error().ifPresent(error -> result.put("error", error));
        return result;
    }

    private static byte[] rawMessage(Request request) {
        byte[] raw = request.bodyAsBytes();
        if (raw == null || raw.length == 0) {
            throw badRequest("The body must be the raw message");
        }
        if (raw.length > TrainingReports.MAX_MESSAGE_BYTES) {
            throw badRequest("The message has " + raw.length + " bytes; at most " + TrainingReports.MAX_MESSAGE_BYTES + " are accepted");
        }
        return raw;
    }

    private static MessageContent readable(byte[] raw) {
        try {
            return new ContentExtractor(ContentLimits.DEFAULT).extract(raw);
        } catch (MessagingException | RuntimeException e) {
            throw badRequest("The body is not a readable message: " + e.getMessage());
        }
    }

    private static void unavailableOnMongoError(Runnable action) {
        try {
            action.run();
        } catch (MongoException e) {
            throw ErrorResponder.builder()
                .statusCode(503)
                .type(ErrorResponder.ErrorType.SERVER_ERROR)
                .message("The content filters' store (MongoDB) is unavailable: %s", e.getMessage())
                .haltError();
        }
    }

    private static RuntimeException badRequest(String message) {
        return ErrorResponder.builder()
            .statusCode(400)
            .type(ErrorResponder.ErrorType.INVALID_ARGUMENT)
            .message(message)
            .haltError();
    }
}
