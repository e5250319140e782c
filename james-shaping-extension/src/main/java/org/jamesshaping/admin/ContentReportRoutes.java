package org.jamesshaping.admin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

import javax.inject.Inject;

import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.ErrorResponder;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.jamesshaping.filter.ContentReports;
import org.jamesshaping.filter.FilterStores;
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
 * DELETE /shaping/fingerprints/{id}  removes a known-spam fingerprint: 204, or 404 when there is none by that id; this
 *                                server stops matching it at once, the others at their next refresh
 *
 * Bodies are {@code message/rfc822} or {@code application/octet-stream} (415 otherwise), at most 4 MB (413, read no
 * further; see {@link RequestGuard}); 400 when the body is empty, not a readable message, or (fingerprints) too short
 * to fingerprint; 503 when MongoDB is unavailable (nothing was recorded: report again).
 * </pre>
 * {@link ContentReports} does the work, as for {@code ./james-shaping filter report-spam|report-ham FILE}; this class
 * only maps HTTP to it. Reports are learned by the servers' predictive filters every {@code learnInterval}
 * (see docs/filters.md).
 */
public class ContentReportRoutes implements Routes {
    public static final String BASE_PATH = "/shaping/reports";
    public static final String FINGERPRINTS_PATH = "/shaping/fingerprints";
    private static final int MAX_LIST = 1000;
    private static final Pattern FINGERPRINT_ID = Pattern.compile("[0-9a-f]{16}");

    private final ContentReports reports;
    private final AdminSettings settings;
    private final JsonTransformer json = new JsonTransformer();

    @Inject
    public ContentReportRoutes(FilterStores stores, StoreSettings storeSettings, AdminSettings settings) {
        this.reports = ContentReports.onServer(stores, MongoConnection.of(storeSettings));
        this.settings = settings;
    }

    @Override
    public String getBasePath() {
        // Covers FINGERPRINTS_PATH as well for James's JWT check (see ShapingRoutes.ROOT).
        return ShapingRoutes.ROOT;
    }

    @Override
    public void define(Service service) {
        RequestGuard.install(service, BASE_PATH, RequestGuard.Body.MESSAGE, settings);
        RequestGuard.install(service, FINGERPRINTS_PATH, RequestGuard.Body.MESSAGE, settings);
        service.post(BASE_PATH + "/spam", (request, response) -> report(request, response, true), json);
        service.post(BASE_PATH + "/ham", (request, response) -> report(request, response, false), json);
        service.get(BASE_PATH, this::list, json);
        service.post(FINGERPRINTS_PATH, this::fingerprintOnly, json);
        service.delete(FINGERPRINTS_PATH + "/:id", this::deleteFingerprint);
    }

    private Object report(Request request, Response response, boolean spam) {
        byte[] raw = rawMessage(request);
        ContentReports.Outcome outcome = submit(() -> spam
            ? reports.reportSpam(raw, ContentReports.SpamReport.DEFAULT)
            : reports.reportHam(raw));
        Map<String, Object> result = new LinkedHashMap<>();
        if (spam) {
            result.put("fingerprint", outcome.signature()
                .map(signature -> (Object) Map.of("id", signature.id()))
                .orElseGet(() -> Map.of("skipped", outcome.fingerprintSkipped().orElse(""))));
        }
        TrainingReports.Report report = outcome.training()
            .orElseThrow(() -> badRequest(outcome.trainingRefused().orElse("The message was not queued for learning")));
        result.put("training", describe(report));
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
        for (TrainingReports.Report report : submit(() -> reports.latest(state, limit))) {
            result.add(describe(report));
        }
        return result;
    }

    private Object fingerprintOnly(Request request, Response response) {
        byte[] raw = rawMessage(request);
        ContentReports.Outcome outcome = submit(() -> reports.reportSpam(raw, ContentReports.SpamReport.DEFAULT.withoutLearning()));
        SpamSignature signature = outcome.signature()
            .orElseThrow(() -> badRequest("Not fingerprinted: " + outcome.fingerprintSkipped().orElse("")));
        response.status(201);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("id", signature.id());
        result.put("source", "operator");
        return result;
    }

    private Object deleteFingerprint(Request request, Response response) {
        String id = request.params("id");
        if (!FINGERPRINT_ID.matcher(id).matches()) {
            throw badRequest("A fingerprint id is 16 hexadecimal digits, as POST /shaping/fingerprints returns it; got '"
                + (id.length() > 64 ? id.substring(0, 64) + "..." : id) + "'");
        }
        if (!submit(() -> reports.deleteFingerprint(id))) {
            throw ErrorResponder.builder()
                .statusCode(404)
                .type(ErrorResponder.ErrorType.NOT_FOUND)
                .message("No known-spam fingerprint %s", id)
                .haltError();
        }
        response.status(204);
        return "";
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
        byte[] raw = RequestGuard.body(request, RequestGuard.Body.MESSAGE);
        if (raw.length == 0) {
            throw badRequest("The body must be the raw message");
        }
        return raw;
    }

    /** A call to the service, its refusals turned into WebAdmin errors. */
    private interface Call<T> {
        T run() throws ContentReports.UnreadableMessage;
    }

    private static <T> T submit(Call<T> call) {
        try {
            return call.run();
        } catch (ContentReports.UnreadableMessage e) {
            throw badRequest("The body is not a readable message: " + e.getMessage());
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
