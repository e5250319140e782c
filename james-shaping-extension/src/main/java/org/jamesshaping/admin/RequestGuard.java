package org.jamesshaping.admin;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import javax.servlet.ServletRequest;
import javax.servlet.ServletRequestWrapper;

import org.apache.james.webadmin.authentication.AuthenticationFilter;
import org.apache.james.webadmin.mdc.LoggingRequestFilter;
import org.apache.james.webadmin.mdc.MDCFilter;
import org.apache.james.webadmin.utils.ErrorResponder;
import org.jamesshaping.filter.predictive.TrainingReports;
import org.jamesshaping.store.ReputationKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import spark.Filter;
import spark.HaltException;
import spark.Request;
import spark.Response;
import spark.Service;
import spark.utils.Wrapper;

/**
 * The checks every {@code /shaping} request passes before anything reads its body, installed once per route class
 * as a Spark before-filter placed after James's JWT check and ahead of its request logger (see {@link #install}):
 * <ul>
 *   <li>a request from a web page of another origin (an {@code Origin} header that is not the server's own, nor one
 *   listed in {@code admin.allowed.origins}) is refused 403, so that a page the operator opens cannot drive the
 *   routes through a server on loopback; the server's own origin counts only when its host is an IP literal or
 *   {@code localhost}, so that a DNS-rebinding page (same origin by name) is refused too;</li>
 *   <li>a body must come with the route's media type, 415 otherwise: {@code application/json}, or the raw message
 *   types; neither can be sent cross-origin by a browser without a preflight, which the check above refuses;</li>
 *   <li>a body declared larger than the route's limit is refused 413 before a byte is read; any other (chunked
 *   ones included) is read here through the same limit, stopping at its first byte past it (413), and kept for
 *   the route ({@link #body}).</li>
 * </ul>
 * Errors use James's WebAdmin error format.
 */
public final class RequestGuard implements Filter {
    /** The largest JSON body a route takes: a status with its reason is far below this. */
    public static final int MAX_JSON_BYTES = 16 * 1024;

    /** What a route's body is: its media types and its size limit. */
    public enum Body {
        JSON(MAX_JSON_BYTES, Set.of("application/json")),
        MESSAGE(TrainingReports.MAX_MESSAGE_BYTES, Set.of("message/rfc822", "application/octet-stream")),
        /** A {@link StatusFile}: at most {@link StatusFile#MAX_ENTRIES} lines with their reasons. */
        STATUS_FILE(4 * 1024 * 1024, Set.of("text/csv"));

        private final int maxBytes;
        private final Set<String> mediaTypes;

        Body(int maxBytes, Set<String> mediaTypes) {
            this.maxBytes = maxBytes;
            this.mediaTypes = mediaTypes;
        }

        public int maxBytes() {
            return maxBytes;
        }
    }

    private static final Logger LOGGER = LoggerFactory.getLogger(RequestGuard.class);
    private static final Set<String> METHODS_WITH_BODY = Set.of("POST", "PUT", "PATCH");
    private static final String BODY_ATTRIBUTE = RequestGuard.class.getName() + ".body";

    private final Body body;
    private final AdminSettings settings;
    /** Whether this guard runs before James's request logger, i.e. reads each body first. */
    private volatile boolean first;

    private RequestGuard(Body body, AdminSettings settings) {
        this.body = body;
        this.settings = settings;
    }

    /**
     * Guards {@code basePath} and everything under it; call first thing in {@code Routes.define}. Spark runs
     * before-filters in the order they were added, and James adds its request logger, which reads every body
     * whole into memory to log it, before any route class, and the JWT check of a route class ({@code
     * AuthenticationFilter}, on its base path) just before defining it: the JWT check and then the guard are
     * moved ahead of the logger, so that an unauthenticated request is refused before any body is read, and an
     * authenticated one is read through the limit.
     */
    public static void install(Service service, String basePath, Body body, AdminSettings settings) {
        RequestGuard guard = new RequestGuard(body, settings);
        service.before(basePath, guard);
        service.before(basePath + "/*", guard);
        guard.first = moveAheadOfRequestLogging(service, 2);
    }

    /**
     * Spark 2.9 (James 3.8.1's) keeps its filters in a list it does not expose; failing that, the filters stay
     * where they were added. James's MDC filter comes right before its request logger.
     */
    @SuppressWarnings("unchecked")
    private static boolean moveAheadOfRequestLogging(Service service, int guards) {
        try {
            Field routesField = Service.class.getDeclaredField("routes");
            routesField.setAccessible(true);
            Object routes = routesField.get(service);
            Field entriesField = spark.route.Routes.class.getDeclaredField("routes");
            entriesField.setAccessible(true);
            Field targetField = Class.forName("spark.route.RouteEntry").getDeclaredField("target");
            targetField.setAccessible(true);
            List<Object> entries = (List<Object>) entriesField.get(routes);
            int count = guards;
            // James's JWT check for this route class, added just before it was defined.
            while (count < guards + 2 && entries.size() > count
                && filterOf(targetField.get(entries.get(entries.size() - count - 1))) instanceof AuthenticationFilter) {
                count++;
            }
            List<Object> last = entries.subList(entries.size() - count, entries.size());
            List<Object> moved = new ArrayList<>(last);
            last.clear();
            int position = 0;
            for (int i = 0; i < entries.size(); i++) {
                Object filter = filterOf(targetField.get(entries.get(i)));
                if (filter instanceof MDCFilter || filter instanceof LoggingRequestFilter) {
                    position = i;
                    break;
                }
            }
            entries.addAll(position, moved);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOGGER.warn("Could not place the /shaping request checks ahead of James's request logger ({}): James reads "
                + "each body whole before the /shaping size limits apply; limit request bodies in a reverse proxy", e.toString());
            return false;
        }
    }

    @Override
    public void handle(Request request, Response response) {
        String origin = request.headers("Origin");
        if (origin != null && !isOwnOrigin(origin, request.headers("Host")) && !settings.isAllowedOrigin(origin)) {
            throw error(403, "Cross-origin requests are refused (Origin: " + printable(origin) + "); "
                + "list trusted origins in admin.allowed.origins of shaping.properties");
        }
        if (!METHODS_WITH_BODY.contains(request.requestMethod().toUpperCase(Locale.ROOT))) {
            return;
        }
        String mediaType = mediaType(request.contentType());
        if (!body.mediaTypes.contains(mediaType)) {
            throw error(415, "Content-Type must be " + String.join(" or ", body.mediaTypes.stream().sorted().toArray(String[]::new))
                + (mediaType.isEmpty() ? "; none was given" : ", got " + printable(mediaType)));
        }
        if (request.raw().getAttribute(BODY_ATTRIBUTE) == null) {
            request.raw().setAttribute(BODY_ATTRIBUTE, read(request, body, first));
        }
    }

    /**
     * The body the guard read (at most the route's limit); for a request it did not guard, read now likewise, from
     * Spark's copy since James's logger may have read the container's stream.
     */
    public static byte[] body(Request request, Body body) {
        Object read = request.raw().getAttribute(BODY_ATTRIBUTE);
        return read instanceof byte[] ? (byte[]) read : read(request, body, false);
    }

    /**
     * Reads the body from the container's own stream through the limit: never more than limit + 1 bytes, whatever
     * Content-Length says or however long a chunked body goes on. Spark's wrapper would read (and keep) the whole
     * body on first access unless it is sent exactly as {@code Transfer-Encoding: chunked}, so it is bypassed when
     * nothing read the body before ({@code first}).
     */
    private static byte[] read(Request request, Body body, boolean first) {
        ServletRequest raw = request.raw();
        while (first && raw instanceof ServletRequestWrapper) {
            raw = ((ServletRequestWrapper) raw).getRequest();
        }
        if (raw.getContentLengthLong() > body.maxBytes) {
            throw tooLarge(body);
        }
        byte[] bytes;
        try {
            InputStream in = raw.getInputStream();
            bytes = in.readNBytes(body.maxBytes + 1);
        } catch (IOException e) {
            throw new UncheckedIOException("Could not read the request body", e);
        }
        if (bytes.length > body.maxBytes) {
            throw tooLarge(body);
        }
        return bytes;
    }

    private static Object filterOf(Object target) {
        return target instanceof Wrapper ? ((Wrapper) target).delegate() : target;
    }

    static boolean isOwnOrigin(String origin, String hostHeader) {
        if (hostHeader == null) {
            return false;
        }
        URI uri;
        try {
            uri = new URI(origin.trim());
        } catch (URISyntaxException e) {
            return false;
        }
        if (uri.getScheme() == null || uri.getHost() == null || uri.getRawPath() != null && !uri.getRawPath().isEmpty()) {
            return false;
        }
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        int port = uri.getPort() >= 0 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        String host = uri.getHost().toLowerCase(Locale.ROOT);
        if (!isLiteralOrLocalhost(host)) {
            return false;
        }
        String expected = host + ":" + port;
        String header = hostHeader.trim().toLowerCase(Locale.ROOT);
        return header.equals(expected) || (header.equals(host) && port == (scheme.equals("https") ? 443 : 80));
    }

    private static boolean isLiteralOrLocalhost(String host) {
        if (host.equals("localhost")) {
            return true;
        }
        String literal = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        try {
            ReputationKey.parseAddress(literal);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String mediaType(String contentType) {
        if (contentType == null) {
            return "";
        }
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).trim().toLowerCase(Locale.ROOT);
    }

    /** Header values go into the error message: at most 100 characters, control characters dropped. */
    private static String printable(String value) {
        StringBuilder builder = new StringBuilder();
        for (int i = 0; i < value.length() && builder.length() < 100; i++) {
            char c = value.charAt(i);
            builder.append(Character.isISOControl(c) ? '?' : c);
        }
        return "'" + builder + "'";
    }

    private static HaltException tooLarge(Body body) {
        return error(413, "The body is larger than " + body.maxBytes + " bytes, the most this route accepts");
    }

    private static HaltException error(int status, String message) {
        return ErrorResponder.builder()
            .statusCode(status)
            .type(ErrorResponder.ErrorType.INVALID_ARGUMENT)
            .message(message)
            .haltError();
    }
}
