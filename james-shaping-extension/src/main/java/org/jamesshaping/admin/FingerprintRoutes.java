package org.jamesshaping.admin;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import javax.inject.Inject;
import javax.mail.MessagingException;

import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.ErrorResponder;
import org.apache.james.webadmin.utils.JsonTransformer;
import org.jamesshaping.filter.ContentExtractor;
import org.jamesshaping.filter.ContentLimits;
import org.jamesshaping.filter.FilterStores;
import org.jamesshaping.filter.Fingerprint;
import org.jamesshaping.filter.Fingerprinter;
import org.jamesshaping.filter.FingerprintService;
import org.jamesshaping.filter.MongoConnection;
import org.jamesshaping.filter.SpamSignature;
import org.jamesshaping.reputation.StoreSettings;

import com.mongodb.MongoException;

import spark.Request;
import spark.Response;
import spark.Service;

/**
 * An operator reports a spam message: its fingerprint joins the shared known-spam store, and this server's
 * {@code FingerprintFilter} matches its variants at once (the fleet within the filter's refresh interval).
 * Register in {@code webadmin.properties}: {@code extensions.routes=...,org.jamesshaping.admin.FingerprintRoutes}.
 *
 * <pre>
 * POST /shaping/fingerprints     body: the raw message (RFC 5322), as saved from a mail client
 *   201 {"id":"...","source":"operator"}; 400 when it cannot be read or its body is too short to fingerprint
 * </pre>
 * The same as {@code ./james-shaping filter report-spam FILE}. Uses the filter's defaults (threshold 0.5, 200
 * characters minimum, refresh 10s), so it shares the mailet's in-memory index when the mailet uses them too.
 */
public class FingerprintRoutes implements Routes {
    public static final String BASE_PATH = "/shaping/fingerprints";

    private final FilterStores stores;
    private final MongoConnection connection;
    private final JsonTransformer json = new JsonTransformer();

    @Inject
    public FingerprintRoutes(FilterStores stores, StoreSettings settings) {
        this.stores = stores;
        this.connection = MongoConnection.of(settings);
    }

    @Override
    public String getBasePath() {
        return BASE_PATH;
    }

    @Override
    public void define(Service service) {
        service.post(BASE_PATH, this::report, json);
    }

    private Object report(Request request, Response response) {
        byte[] raw = request.bodyAsBytes();
        if (raw == null || raw.length == 0) {
            throw badRequest("The body must be the raw spam message");
        }
        Optional<Fingerprint> fingerprint;
        try {
            fingerprint = new Fingerprinter(Fingerprinter.DEFAULT_MIN_TEXT_CHARS)
                .fingerprint(new ContentExtractor(ContentLimits.DEFAULT).extract(raw));
        } catch (MessagingException | RuntimeException e) {
            throw badRequest("The body is not a readable message: " + e.getMessage());
        }
        if (fingerprint.isEmpty()) {
            throw badRequest("Not fingerprinted: the message's text is shorter than " + Fingerprinter.DEFAULT_MIN_TEXT_CHARS
                + " characters once normalised (short and empty bodies would match legitimate mail)");
        }
        FingerprintService fingerprints = stores.fingerprints(connection, 0.5, Duration.ofSeconds(10));
        SpamSignature signature;
        try {
            signature = fingerprints.report(fingerprint.get(), SpamSignature.Source.OPERATOR_REPORT);
        } catch (MongoException e) {
            throw ErrorResponder.builder()
                .statusCode(503)
                .type(ErrorResponder.ErrorType.SERVER_ERROR)
                .message("The known-spam store (MongoDB) is unavailable: %s", e.getMessage())
                .haltError();
        }
        response.status(201);
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("id", signature.id());
        result.put("source", "operator");
        return result;
    }

    private static RuntimeException badRequest(String message) {
        return ErrorResponder.builder()
            .statusCode(400)
            .type(ErrorResponder.ErrorType.INVALID_ARGUMENT)
            .message(message)
            .haltError();
    }
}
