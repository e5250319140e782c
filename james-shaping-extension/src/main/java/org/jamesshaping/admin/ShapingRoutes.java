package org.jamesshaping.admin;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

import javax.inject.Inject;

import org.apache.james.webadmin.Routes;
import org.apache.james.webadmin.utils.ErrorResponder;
import org.apache.james.webadmin.utils.JsonTransformer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.mongodb.MongoException;

import spark.HaltException;
import spark.Request;
import spark.Response;
import spark.Service;

/**
 * WebAdmin routes for reputation. Register in {@code webadmin.properties}:
 * {@code extensions.routes=org.jamesshaping.admin.ShapingRoutes}.
 *
 * <pre>
 * GET    /shaping/reputation?sort=score|lastSeen&amp;limit=N   worst senders first
 * GET    /shaping/reputation?status=block|allow|pin&amp;limit=100&amp;offset=0   operator entries in force, by address
 * GET    /shaping/statuses                                 every entry in force as a text/csv {@link StatusFile}
 * POST   /shaping/statuses[?force=true]                    text/csv {@link StatusFile}: checked whole, then set
 * GET    /shaping/reputation/{ip}                          record, subnet record, effective status and why
 * GET    /shaping/reputation/{network}/{prefix}            a network's record (e.g. /203.0.113.0/24)
 * PUT    /shaping/reputation/{ip-or-cidr}/status[?force=true]  {"status":"block|allow","reason":"...","ttl":"1d"}
 *                                                          or {"class":7,"reason":"...","ttl":"1d"} to pin a class;
 *                                                          force: a network wider than admin.status.min.prefix.*
 * POST   /shaping/reputation/{ip}/reports                  {"verdict":"spam|ham"}: an operator's report
 * DELETE /shaping/reputation/{ip-or-cidr}                  forget everything about it
 * </pre>
 * A CIDR may be written with its slash as a path separator or encoded as {@code %2F}. Input is parsed into a
 * {@code ReputationKey} before anything else happens: no query is built from raw text. {@link RequestGuard} checks
 * every request first (origin, {@code application/json}, size).
 */
public class ShapingRoutes implements Routes {
    /**
     * What {@link #getBasePath} says: James's JWT check covers a route class's base path and what is under it, so
     * it must cover every path the class defines ({@link #STATUSES_PATH} is not under {@link #BASE_PATH}).
     */
    public static final String ROOT = "/shaping";
    public static final String BASE_PATH = "/shaping/reputation";
    public static final String STATUSES_PATH = "/shaping/statuses";
    private static final Set<String> STATUS_FIELDS = Set.of("status", "class", "reason", "ttl");

    private final ReputationReports reports;
    private final AdminSettings settings;
    private final JsonTransformer json = new JsonTransformer();
    private final ObjectMapper mapper = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    @Inject
    public ShapingRoutes(ReputationReports reports, AdminSettings settings) {
        this.reports = reports;
        this.settings = settings;
    }

    @Override
    public String getBasePath() {
        return ROOT;
    }

    @Override
    public void define(Service service) {
        RequestGuard.install(service, BASE_PATH, RequestGuard.Body.JSON, settings);
        RequestGuard.install(service, STATUSES_PATH, RequestGuard.Body.STATUS_FILE, settings);
        service.get(STATUSES_PATH, this::exportStatuses);
        service.post(STATUSES_PATH, this::importStatuses, json);
        service.get(BASE_PATH, this::top, json);
        service.get(BASE_PATH + "/:address", (request, response) -> lookup(address(request), response), json);
        service.get(BASE_PATH + "/:address/:prefix", (request, response) -> lookup(cidr(request), response), json);
        service.put(BASE_PATH + "/:address/status", (request, response) -> setStatus(address(request), request, response));
        service.put(BASE_PATH + "/:address/:prefix/status", (request, response) -> setStatus(cidr(request), request, response));
        service.post(BASE_PATH + "/:address/reports", (request, response) -> report(address(request), request, response));
        service.delete(BASE_PATH + "/:address", (request, response) -> forget(address(request), response));
        service.delete(BASE_PATH + "/:address/:prefix", (request, response) -> forget(cidr(request), response));
    }

    private static String address(Request request) {
        return request.params("address");
    }

    private static String cidr(Request request) {
        return request.params("address") + "/" + request.params("prefix");
    }

    private Object top(Request request, Response response) {
        return guarded(() -> {
            String status = request.queryParams("status");
            if (status != null) {
                return reports.statuses(status, parseNumber("limit", request.queryParams("limit"), 100),
                    parseNumber("offset", request.queryParams("offset"), 0));
            }
            int limit = parseLimit(request.queryParams("limit"));
            ReputationReports.Sort sort = ReputationReports.Sort.parse(request.queryParams("sort"));
            return reports.top(limit, sort);
        });
    }

    private Object lookup(String key, Response response) {
        return guarded(() -> {
            Map<String, Object> report = reports.lookup(key);
            if (!ReputationReports.isKnown(report)) {
                throw ErrorResponder.builder()
                    .statusCode(404)
                    .type(ErrorResponder.ErrorType.NOT_FOUND)
                    .message("No reputation recorded for %s", report.get("key"))
                    .haltError();
            }
            return report;
        });
    }

    private Object setStatus(String key, Request request, Response response) {
        return guarded(() -> {
            JsonNode body = parseObject(RequestGuard.body(request, RequestGuard.Body.JSON), STATUS_FIELDS);
            boolean force = parseForce(request.queryParams("force"));
            String status = text(body, "status");
            JsonNode pinned = body.get("class");
            if (status != null && pinned != null) {
                throw new IllegalArgumentException("give either 'status' (allow or block) or 'class' (0 to 9), not both");
            }
            if (pinned != null) {
                if (!pinned.isInt()) {
                    throw new IllegalArgumentException("'class' must be a number from 0 to 9");
                }
                reports.pin(key, pinned.asInt(), text(body, "reason"), text(body, "ttl"), "webadmin", force);
            } else if (status != null) {
                reports.setStatus(key, status, text(body, "reason"), text(body, "ttl"), "webadmin", force);
            } else {
                throw new IllegalArgumentException("'status' ('allow' or 'block') or 'class' (0 to 9) is required");
            }
            response.status(204);
            return "";
        });
    }

    private Object report(String address, Request request, Response response) {
        return guarded(() -> {
            JsonNode body = parseObject(RequestGuard.body(request, RequestGuard.Body.JSON), Set.of("verdict"));
            reports.report(address, text(body, "verdict"));
            response.status(204);
            return "";
        });
    }

    private Object exportStatuses(Request request, Response response) {
        return guarded(() -> {
            String file = reports.exportStatuses();
            response.type("text/csv; charset=utf-8");
            return file;
        });
    }

    private Object importStatuses(Request request, Response response) {
        return guarded(() -> {
            boolean force = parseForce(request.queryParams("force"));
            String file = new String(RequestGuard.body(request, RequestGuard.Body.STATUS_FILE), StandardCharsets.UTF_8);
            return reports.importStatuses(file, force, "webadmin");
        });
    }

    private Object forget(String key, Response response) {
        return guarded(() -> {
            reports.forget(key);
            response.status(204);
            return "";
        });
    }

    private JsonNode parseObject(byte[] body, Set<String> fields) {
        JsonNode node;
        try {
            node = mapper.readTree(body);
        } catch (Exception e) {
            throw new IllegalArgumentException("The body is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("The body must be a JSON object with " + fields);
        }
        node.fieldNames().forEachRemaining(field -> {
            if (!fields.contains(field)) {
                throw new IllegalArgumentException("Unknown field '" + field + "'; expected " + fields);
            }
        });
        return node;
    }

    private static String text(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new IllegalArgumentException("'" + field + "' must be a string");
        }
        return value.asText();
    }

    private static boolean parseForce(String raw) {
        if (raw == null || raw.equalsIgnoreCase("false")) {
            return false;
        }
        if (raw.equalsIgnoreCase("true")) {
            return true;
        }
        throw new IllegalArgumentException("force must be true or false, got '" + raw + "'");
    }

    private static int parseLimit(String raw) {
        return parseNumber("limit", raw, 20);
    }

    private static int parseNumber(String name, String raw, int defaultValue) {
        if (raw == null || raw.isBlank()) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(raw.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a number, got '" + raw + "'");
        }
    }

    private interface Action {
        Object run();
    }

    private static Object guarded(Action action) {
        try {
            return action.run();
        } catch (HaltException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw ErrorResponder.builder()
                .statusCode(400)
                .type(ErrorResponder.ErrorType.INVALID_ARGUMENT)
                .message(e.getMessage())
                .haltError();
        } catch (MongoException e) {
            throw ErrorResponder.builder()
                .statusCode(503)
                .type(ErrorResponder.ErrorType.SERVER_ERROR)
                .message("The reputation store (MongoDB) is unavailable: %s", e.getMessage())
                .haltError();
        }
    }
}
