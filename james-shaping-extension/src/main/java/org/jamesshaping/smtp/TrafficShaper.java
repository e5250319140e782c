package org.jamesshaping.smtp;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import javax.inject.Inject;

import org.apache.commons.configuration2.Configuration;
import org.apache.commons.configuration2.HierarchicalConfiguration;
import org.apache.commons.configuration2.ex.ConfigurationException;
import org.apache.commons.configuration2.tree.ImmutableNode;
import org.apache.james.core.MailAddress;
import org.apache.james.core.MaybeSender;
import org.apache.james.protocols.api.ProtocolSession;
import org.apache.james.protocols.api.ProtocolTransport;
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.CommandHandler;
import org.apache.james.protocols.api.handler.ConnectHandler;
import org.apache.james.protocols.api.handler.DisconnectHandler;
import org.apache.james.protocols.api.handler.ExtensibleHandler;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.api.handler.ProtocolHandler;
import org.apache.james.protocols.api.handler.ProtocolHandlerResultHandler;
import org.apache.james.protocols.api.handler.WiringException;
import org.apache.james.protocols.smtp.SMTPResponse;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.core.DataCmdHandler;
import org.apache.james.protocols.smtp.core.HeloCmdHandler;
import org.apache.james.protocols.smtp.core.MailCmdHandler;
import org.apache.james.protocols.smtp.core.esmtp.EhloCmdHandler;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.HookReturnCode;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.james.smtpserver.JamesWelcomeMessageHandler;
import org.apache.mailet.Mail;
import org.jamesshaping.scoring.ClassDecision;
import org.jamesshaping.scoring.ClassifierConfiguration;
import org.jamesshaping.scoring.Signal;
import org.jamesshaping.scoring.SignalCounts;
import org.jamesshaping.shaping.ClassSettings;
import org.jamesshaping.shaping.ConnectionRegistry;
import org.jamesshaping.shaping.SenderClassifier;
import org.jamesshaping.shaping.ShapingPolicy;
import org.jamesshaping.store.ManualStatus;
import org.jamesshaping.store.ReputationKey;
import org.jamesshaping.store.ReputationStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.channel.Channel;
import io.netty.util.Attribute;

/**
 * Shapes each SMTP connection by its sender's class: delays the greeting and every reply (a tarpit that holds
 * no thread), reads the socket no faster than the class allows (so the TCP window closes and spam backs up on the
 * sender's side), and enforces per-class connection, recipient and message limits with a proper
 * {@code 421 4.7.0} (or {@code 452 4.5.3} for recipients). Operators' block entries are refused with
 * {@code 554 5.7.1 <their reason>} at HELO/EHLO or MAIL FROM, in dry run too. Configuration: see {@link ShapingPolicy}; the handler
 * chain must use {@link ShapingCoreCmdHandlerLoader} so that James does not write the greeting itself.
 *
 * <p>The class is decided from memory only (operator statuses and the reputation cache), at connect, again at
 * HELO/EHLO and at MAIL FROM, so a sender that turns bad mid-connection is slowed at once ({@link SenderClassifier}
 * reuses an address's decision only while nothing has happened that could make a sender look worse). With PROXY protocol
 * the real client is known only after the header, so the decision waits for the first command. Relay networks
 * ({@code authorizedAddresses}), allowlisted senders and authenticated sessions are never shaped. A client that
 * talks before the greeting is an early talker: recorded, and shaped as class 7 or worse.</p>
 */
public class TrafficShaper implements ConnectHandler<SMTPSession>, DisconnectHandler<SMTPSession>,
        ProtocolHandlerResultHandler<Response, SMTPSession>, RcptHook, JamesMessageHook, ExtensibleHandler {
    private static final Logger LOGGER = LoggerFactory.getLogger(TrafficShaper.class);
    static final int EARLY_TALKER_CLASS = 7;
    private static final ClassDecision RELAY = new ClassDecision(0, List.of("relay network (authorizedAddresses)"), true);

    private final ReputationStore reputation;
    private final SenderClassifier classifier;
    private final ConnectionRegistry registry;
    private final ShapingMetrics metrics;
    private final JamesWelcomeMessageHandler welcome = new JamesWelcomeMessageHandler();
    private volatile ShapingPolicy policy = ShapingPolicy.defaults();

    @Inject
    public TrafficShaper(ReputationStore reputation, SenderClassifier classifier, ConnectionRegistry registry, ShapingMetrics metrics) {
        this.reputation = reputation;
        this.classifier = classifier;
        this.registry = registry;
        this.metrics = metrics;
    }

    @Override
    @SuppressWarnings("unchecked")
    public void init(Configuration config) throws ConfigurationException {
        ChannelAccess.verify();
        HierarchicalConfiguration<ImmutableNode> hierarchical = (HierarchicalConfiguration<ImmutableNode>) config;
        policy = ShapingPolicy.from(hierarchical);
        classifier.configure(ClassifierConfiguration.from(hierarchical));
        classifier.startRenewing();
        LOGGER.info("TrafficShaper: preset {}{}, at most {} held connections", policy.preset(),
            policy.dryRun() ? ", DRY RUN (decisions logged and counted, nothing shaped)" : "", policy.maxHeldConnections());
    }

    ShapingPolicy policy() {
        return policy;
    }

    // ------------------------------------------------------------------ wiring check

    @Override
    public List<Class<?>> getMarkerInterfaces() {
        return List.of(ConnectHandler.class);
    }

    @Override
    public void wireExtensions(Class<?> interfaceName, List<?> extension) throws WiringException {
        for (Object handler : extension) {
            if (handler instanceof JamesWelcomeMessageHandler) {
                throw new WiringException("TrafficShaper writes the SMTP greeting itself: set coreHandlersPackage=\""
                    + ShapingCoreCmdHandlerLoader.class.getName() + "\" on the <handlerchain> of smtpserver.xml");
            }
        }
    }

    // ------------------------------------------------------------------ connect / disconnect

    @Override
    public Response onConnect(SMTPSession session) {
        Response greeting = welcome.onConnect(session);
        Optional<Channel> channel = ChannelAccess.channel(session);
        Optional<ProtocolTransport> transport = ChannelAccess.transport(session);
        if (channel.isEmpty() || transport.isEmpty()) {
            return greeting;
        }
        ConnectionShaping state = new ConnectionShaping(session, channel.get(), transport.get(), registry);
        channel.get().attr(ConnectionShaping.KEY).set(state);
        if (transport.get().isProxyRequired()) {
            // Before the PROXY header, James only knows the proxy's address: decide at the first command.
            state.greetingSent = true;
            return greeting;
        }
        Optional<Response> refusal = decide(session, state, "connect");
        if (refusal.isPresent()) {
            return refusal.get();
        }
        long delay = state.settings.greetingDelayNanos();
        if (delay > 0) {
            state.enqueueGreeting(greeting, delay);
            return new NoReply(greeting.getRetCode());
        }
        state.greetingSent = true;
        return greeting;
    }

    @Override
    public void onDisconnect(SMTPSession session) {
        ConnectionShaping state = stateOrNull(session);
        if (state != null) {
            state.close();
        }
    }

    /** The connection's shaping, or null when the connect handler did not set one up (no Netty channel). */
    private static ConnectionShaping stateOrNull(ProtocolSession session) {
        Attribute<ConnectionShaping> state = ChannelAccess.attribute(session, ConnectionShaping.KEY);
        return state == null ? null : state.get();
    }

    // ------------------------------------------------------------------ replies

    @Override
    public Response onResponse(ProtocolSession session, Response response, long executionTime, ProtocolHandler handler) {
        if (response == null) {
            return response;
        }
        if (handler instanceof CommandHandler) {
            return afterCommand((SMTPSession) session, response, handler);
        }
        if (!(handler instanceof LineHandler)) {
            return response;
        }
        ConnectionShaping state = stateOrNull(session);
        if (state == null) {
            return response;
        }
        SMTPSession smtpSession = (SMTPSession) session;
        if (!state.exempt && smtpSession.getUsername() != null) {
            LOGGER.info("{} authenticated as {}: no longer shaped", state.address == null ? "client" : state.address.getHostAddress(),
                smtpSession.getUsername().asString());
            state.unshape();
        }
        if (!state.decided) {
            Optional<Response> refusal = decide(smtpSession, state, "first command");
            if (refusal.isPresent()) {
                return refusal.get();
            }
            // Behind a PROXY-protocol load balancer this first command ran undecided.
            Response blocked = blockedReply(state);
            if (blocked != null) {
                return blocked;
            }
        }
        if (!state.greetingSent && !state.earlyTalker) {
            earlyTalk(smtpSession, state);
        }
        long delay = state.settings.replyDelayNanos();
        if (state.hasPendingReplies() || delay > 0) {
            state.enqueue(response, delay);
            return new NoReply(response.getRetCode());
        }
        return response;
    }

    private void earlyTalk(SMTPSession session, ConnectionShaping state) {
        state.earlyTalker = true;
        metrics.earlyTalkers.increment();
        if (state.address != null) {
            reputation.record(state.address, new SignalCounts().add(Signal.EARLY_TALK).add(Signal.PROTOCOL_VIOLATION));
        }
        if (!state.exempt) {
            decide(session, state, "early talk");
        }
    }

    // ------------------------------------------------------------------ commands and hooks

    /**
     * The first call for a reply, with the command handler that answered: the only place that says which command
     * it was. After a successful HELO/EHLO or MAIL FROM the class is checked again (a sender that turned bad
     * meanwhile is refused or slowed from there on), here rather than in HELO and MAIL hooks: this handler sees
     * every reply anyway, and James dispatches each hook of the chain, with its result logger and JMX counters, on
     * every command of every connection. A refusal replaces the reply and ends the session; the command's own
     * effect (a HELO name, a sender) goes with it.
     */
    private Response afterCommand(SMTPSession session, Response response, ProtocolHandler handler) {
        boolean data = handler instanceof DataCmdHandler;
        boolean mail = handler instanceof MailCmdHandler;
        boolean helo = handler instanceof HeloCmdHandler || handler instanceof EhloCmdHandler;
        if (!data && !mail && !helo) {
            return response;
        }
        ConnectionShaping state = stateOrNull(session);
        if (state == null) {
            return response;
        }
        String code = response.getRetCode();
        if (data) {
            if ("354".equals(code)) {
                state.enterData(true);
            }
            return response;
        }
        if (code == null || code.isEmpty() || code.charAt(0) != '2') {
            return response;
        }
        Response refusal = recheck(session, state, helo ? "HELO/EHLO" : "MAIL FROM");
        if (refusal == null && mail) {
            refusal = overMessageLimit(state);
        }
        return refusal == null ? response : refusal;
    }

    private Response overMessageLimit(ConnectionShaping state) {
        int limit = state.settings.maxMessagesPerConnection();
        if (state.exempt || limit <= 0 || state.messages < limit) {
            return null;
        }
        metrics.limitRejections.increment();
        LOGGER.info("{}: over {} messages in one connection (class {})", state.address.getHostAddress(), limit,
            state.decision.level());
        return endingReply("421", "4.7.0 Too many messages in one connection, please reconnect later");
    }

    private static SMTPResponse endingReply(String code, String text) {
        SMTPResponse reply = new SMTPResponse(code, text);
        reply.setEndSession(true);
        return reply;
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress rcpt, Map<String, String> parameters) {
        ConnectionShaping state = stateOrNull(session);
        if (state == null || state.exempt) {
            return HookResult.DECLINED;
        }
        int limit = state.settings.maxRecipientsPerTransaction();
        if (limit > 0 && session.getRcptCount() >= limit) {
            metrics.limitRejections.increment();
            // RFC 5321 4.5.3.1.10: too many recipients is 452, and the client sends the rest in another transaction.
            return HookResult.builder()
                .hookReturnCode(HookReturnCode.denySoft())
                .smtpReturnCode("452")
                .smtpDescription("4.5.3 Too many recipients in one transaction")
                .build();
        }
        return HookResult.DECLINED;
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        ConnectionShaping state = stateOrNull(session);
        if (state == null) {
            return HookResult.DECLINED;
        }
        state.messages++;
        state.enterData(false);
        if (!state.exempt && state.settings.rejectAtData()) {
            metrics.limitRejections.increment();
            LOGGER.info("{}: message refused at DATA (class {})", state.address.getHostAddress(), state.decision.level());
            // Permanent: a retrying MTA would only bring it back (early 4xx invite retry storms).
            return HookResult.builder()
                .hookReturnCode(HookReturnCode.deny())
                .smtpReturnCode("550")
                .smtpDescription("5.7.1 Message refused: poor sender reputation")
                .build();
        }
        return HookResult.DECLINED;
    }

    /**
     * Decides again, unless the connection's decision still stands as the classifier would reuse it (nothing that
     * could make a sender look worse since, and under a second old): then the lookup is skipped. The 554 that
     * ends the session for a blocked sender, or null.
     */
    private Response recheck(SMTPSession session, ConnectionShaping state, String when) {
        state.enterData(false);
        if (!state.decided) {
            return null;
        }
        if (!classifier.stillCurrent(state.decisionWindow)) {
            decide(session, state, when);
        }
        return blockedReply(state);
    }

    /** {@code 554 5.7.1} with the operator's reason for an operator's block, or for class 9 when shaping; or null. */
    private Response blockedReply(ConnectionShaping state) {
        if (state.decision == null) {
            return null;
        }
        String operatorBlock = operatorBlock(state);
        if (operatorBlock == null && (state.decision.level() != ClassDecision.BLOCKED || state.exempt || policy.dryRun())) {
            return null;
        }
        metrics.blockedByClass.increment();
        return endingReply("554", operatorBlock != null ? operatorBlockDescription(operatorBlock) : "5.7.1 Your address has a poor reputation here");
    }

    /**
     * The reason of an operator's block entry covering this client, or null. Enforced in dry run too and for
     * relay networks and authenticated sessions, as an explicit operator decision (what {@link ManualStatusHook}
     * does in a chain without the shaper). Read from the connection's (reused) decision; only an exempt
     * connection, whose decision does not look at statuses, costs a lookup in the in-memory table.
     */
    private String operatorBlock(ConnectionShaping state) {
        if (state.decision == null) {
            return null;
        }
        if (!state.exempt) {
            return state.decision.operatorBlockReason();
        }
        return state.address == null ? null : reputation.manualStatus(state.address)
            .filter(match -> match.status().value() == ManualStatus.Value.BLOCK)
            .map(match -> match.status().reason())
            .orElse(null);
    }

    /**
     * The text of the {@code 554} an operator's block entry gets, here and in {@link ManualStatusHook}: the
     * operator's reason goes on the wire, so it is made one line of printable ASCII, at most 200 characters.
     */
    static String operatorBlockDescription(String reason) {
        return "5.7.1 " + printable(reason);
    }

    private static String printable(String reason) {
        StringBuilder builder = new StringBuilder();
        for (char c : reason.toCharArray()) {
            builder.append(c >= 0x20 && c < 0x7f ? c : ' ');
        }
        String result = builder.toString().trim();
        return result.length() > 200 ? result.substring(0, 200) : result;
    }

    // ------------------------------------------------------------------ deciding

    /** Decides or re-decides the class; on the first decision also checks the limits. */
    private Optional<Response> decide(SMTPSession session, ConnectionShaping state, String when) {
        Optional<InetAddress> client = SmtpSessions.clientAddress(session);
        if (client.isEmpty()) {
            return Optional.empty();
        }
        if (state.address == null) {
            state.address = client.get();
            ReputationKey[] keys = reputation.keysOf(client.get());
            state.addressKey = keys[0];
            state.subnetKey = keys[1];
        }
        SenderClassifier.Reusable window = classifier.window();
        ClassDecision decision = classify(session, state);
        state.decisionWindow = window;
        if (decision == state.decision) {
            // The decision this connection already follows (SenderClassifier reuses it while nothing changed).
            return Optional.empty();
        }
        ClassSettings settings = policy.settings(decision.level());
        if (!state.decided) {
            state.decided = true;
            Optional<String> over = decision.exempt() ? Optional.empty() : overLimit(state, settings);
            metrics.connection(decision.level());
            if (over.isPresent()) {
                metrics.limitRejections.increment();
                LOGGER.info("Shaping {}: class {} at {} ({}); {}{}", client.get().getHostAddress(), decision.level(), when,
                    decision.lazyWhy(), over.get(), policy.dryRun() ? " [dry run: would answer 421]" : ", answered 421");
                if (!policy.dryRun()) {
                    return Optional.of(endingReply("421", "4.7.0 " + over.get() + ", try again later"));
                }
            } else if (LOGGER.isInfoEnabled()) {
                // Guarded: every connection passes here, and its address would be formatted even with INFO off.
                LOGGER.info("Shaping {}: class {} at {} ({}){}", client.get().getHostAddress(), decision.level(), when,
                    decision.lazyWhy(), policy.dryRun() && !settings.isUnshaped() ? " [dry run: not shaped]" : "");
            }
        } else if (state.decision != null && state.decision.level() != decision.level()) {
            LOGGER.info("Shaping {}: class {} -> {} at {} ({}){}", client.get().getHostAddress(), state.decision.level(),
                decision.level(), when, decision.lazyWhy(), policy.dryRun() ? " [dry run: not shaped]" : "");
        }
        if (!state.countedConcurrent && !decision.exempt() && !settings.isUnshaped()) {
            // Only connections in shaped classes count toward the per-address and per-subnet limits (which only
            // shaped classes have): unshaped mail costs no shared counter, and a bad sender's limit is not used up
            // by its good neighbours. A connection counts from the decision that shapes it until it ends.
            registry.connected(state.addressKey);
            registry.connected(state.subnetKey);
            state.countedConcurrent = true;
        }
        if (policy.dryRun() && !settings.isUnshaped() && (state.decision == null || state.decision.level() != decision.level())) {
            metrics.dryRunShaped.increment();
        }
        state.decision = decision;
        state.exempt = decision.exempt();
        if (decision.exempt() || policy.dryRun()) {
            state.settings = ClassSettings.UNSHAPED;
            SmtpSessions.setMessagesRefused(session, false);
            return Optional.empty();
        }
        state.settings = settings;
        SmtpSessions.setMessagesRefused(session, settings.rejectAtData());
        if (settings.holds() && !state.holding) {
            state.holding = registry.tryHold(0);
        }
        state.applyReadRates(settings, policy.receiveBufferBytes());
        return Optional.empty();
    }

    private ClassDecision classify(SMTPSession session, ConnectionShaping state) {
        if (session.isRelayingAllowed()) {
            return RELAY;
        }
        if (session.getUsername() != null) {
            String user = session.getUsername().asString();
            return new ClassDecision(0, () -> List.of("authenticated as " + user), true);
        }
        ClassDecision decision = classifier.classify(state.address);
        if (state.earlyTalker && !decision.exempt() && decision.level() < EARLY_TALKER_CLASS) {
            return new ClassDecision(EARLY_TALKER_CLASS, () -> {
                List<String> reasons = new ArrayList<>(decision.reasons());
                reasons.add(0, "talked before the greeting");
                return reasons;
            }, false);
        }
        return decision;
    }

    private Optional<String> overLimit(ConnectionShaping state, ClassSettings settings) {
        if (settings.maxConnectionsPerIp() > 0 && registry.connections(state.addressKey) >= settings.maxConnectionsPerIp()) {
            return Optional.of("Too many concurrent connections from your address");
        }
        if (settings.maxConnectionsPerSubnet() > 0 && registry.connections(state.subnetKey) >= settings.maxConnectionsPerSubnet()) {
            return Optional.of("Too many concurrent connections from your network");
        }
        if (!registry.admitRate(state.addressKey, settings.connectionsPerMinutePerIp(), ConnectionShaping.now())) {
            return Optional.of("Too many connections per minute from your address");
        }
        if (settings.holds() && !policy.dryRun()) {
            if (!registry.tryHold(policy.maxHeldConnections())) {
                metrics.overloadRejections.increment();
                return Optional.of("Server busy");
            }
            state.holding = true;
        }
        return Optional.empty();
    }

}
