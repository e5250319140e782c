package org.jamesshaping.smtp;

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
import org.apache.james.protocols.api.Response;
import org.apache.james.protocols.api.handler.ConnectHandler;
import org.apache.james.protocols.api.handler.DisconnectHandler;
import org.apache.james.protocols.api.handler.ExtensibleHandler;
import org.apache.james.protocols.api.handler.LineHandler;
import org.apache.james.protocols.api.handler.ProtocolHandler;
import org.apache.james.protocols.api.handler.ProtocolHandlerResultHandler;
import org.apache.james.protocols.api.handler.WiringException;
import org.apache.james.protocols.smtp.SMTPSession;
import org.apache.james.protocols.smtp.hook.HookResult;
import org.apache.james.protocols.smtp.hook.RcptHook;
import org.apache.james.smtpserver.JamesMessageHook;
import org.apache.james.smtpserver.JamesWelcomeMessageHandler;
import org.apache.mailet.Attribute;
import org.apache.mailet.AttributeName;
import org.apache.mailet.AttributeValue;
import org.apache.mailet.Mail;
import org.jamesshaping.scoring.ClassDecision;
import org.jamesshaping.scoring.Scoring;
import org.jamesshaping.scoring.ScoringConfig;
import org.jamesshaping.scoring.ScoringConfigReader;
import org.jamesshaping.shaping.ConnectionRegistry;
import org.jamesshaping.shaping.SenderClassifier;
import org.jamesshaping.shaping.ShapedConnection;
import org.jamesshaping.shaping.ShapingPolicy;
import org.jamesshaping.store.ReputationStore;

/**
 * Shapes each SMTP connection by its sender's class: delays the greeting and every reply (a tarpit that holds no
 * thread), reads the socket no faster than the class allows (the TCP window closes and spam backs up on the sender's
 * side), and enforces the class's connection, recipient and message limits with {@code 421 4.7.0} ({@code 452 4.5.3}
 * for recipients). Operators' block entries get {@code 554 5.7.1 <their reason>} at HELO/EHLO or MAIL FROM, in dry run
 * too. Configuration: {@link ShapingPolicy}; the chain must use {@link ShapingCoreCmdHandlerLoader} so that James does
 * not write the greeting itself.
 *
 * <p>The class is decided from memory only, at connect, again after HELO/EHLO and MAIL FROM (so a sender that turns bad
 * mid-connection is slowed at once), and at the first command behind a PROXY-protocol load balancer, where the real
 * client is known only then. Relay networks and authenticated sessions are never shaped; a client that talks before
 * the greeting is recorded and shaped as class 7 or worse. The policy is {@link ShapedConnection}'s; this class
 * carries it out on the wire and says what it did ({@link ShapingLog}).</p>
 */
public class TrafficShaper implements ConnectHandler<SMTPSession>, DisconnectHandler<SMTPSession>,
        ProtocolHandlerResultHandler<Response, SMTPSession>, RcptHook, JamesMessageHook, ExtensibleHandler {
    private static final AttributeName SENDER_CLASS = AttributeName.of(ClassDecision.MAIL_ATTRIBUTE);

    private final SenderClassifier classifier;
    private final ConnectionRegistry registry;
    private final Scoring scoring;
    private final ShapingLog log;
    private final Decider decider;
    private final JamesWelcomeMessageHandler welcome = new JamesWelcomeMessageHandler();
    private volatile ShapingPolicy policy = ShapingPolicy.defaults();

    @Inject
    public TrafficShaper(ReputationStore reputation, SenderClassifier classifier, ConnectionRegistry registry, Scoring scoring,
                         ShapingMetrics metrics) {
        this.classifier = classifier;
        this.registry = registry;
        this.scoring = scoring;
        this.log = new ShapingLog(metrics);
        this.decider = new Decider(reputation, classifier, registry, log);
    }

    @Override
    @SuppressWarnings("unchecked")
    public void init(Configuration config) throws ConfigurationException {
        ChannelAccess.verify();
        HierarchicalConfiguration<ImmutableNode> handler = (HierarchicalConfiguration<ImmutableNode>) config;
        HandlerKeys.warnTrafficShaper(handler);
        policy = ShapingPolicy.from(handler);
        Optional<ScoringConfig> block = ScoringConfigReader.fromReputationBlock(handler);
        if (block.isPresent()) {
            scoring.handlerBlock(block.get(), "a TrafficShaper handler of smtpserver.xml");
        }
        classifier.startRenewing();
        log.started(policy);
    }

    @Override
    public List<Class<?>> getMarkerInterfaces() {
        return List.of(ConnectHandler.class);
    }

    @Override
    public void wireExtensions(Class<?> interfaceName, List<?> extension) throws WiringException {
        if (extension.stream().anyMatch(JamesWelcomeMessageHandler.class::isInstance)) {
            throw new WiringException("TrafficShaper writes the SMTP greeting itself: set coreHandlersPackage=\""
                + ShapingCoreCmdHandlerLoader.class.getName() + "\" on the <handlerchain> of smtpserver.xml");
        }
    }

    @Override
    public Response onConnect(SMTPSession session) {
        Response greeting = welcome.onConnect(session);
        ConnectionState state = ConnectionState.of(session);
        if (state == null || ChannelAccess.transport(session).isEmpty()) {
            return greeting;
        }
        state.startShaping(new ShapedConnection(registry, policy), ChannelAccess.transport(session).get(), session,
            new GateShaper(session, state));
        if (ChannelAccess.transport(session).get().isProxyRequired()) {
            // Before the PROXY header James only knows the proxy's address: decide at the first command.
            state.replies().greetingWritten();
            return greeting;
        }
        Response refusal = decider.decide(session, state, policy, "connect");
        if (refusal != null) {
            return refusal;
        }
        long delay = state.shaping().settings().greetingDelayNanos();
        if (delay > 0) {
            state.replies().enqueueGreeting(greeting, delay);
            return new NoReply(greeting.getRetCode());
        }
        long pregreet = decider.pregreetNanos(state.shaping(), policy);
        if (pregreet > 0) {
            state.replies().enqueueGreeting(greeting, pregreet);
            state.pregreeted(true);
            return new GreetingFirstLine(greeting);
        }
        state.replies().greetingWritten();
        return greeting;
    }

    @Override
    public void onDisconnect(SMTPSession session) {
        ConnectionState state = ConnectionState.of(session);
        if (state == null) {
            return;
        }
        ShapedConnection shaping = state.shaping();
        if (shaping != null && shaping.address() != null && !shaping.exempt() && state.hadEvidenceAgainst()) {
            // A sender that misbehaved and left is judged once more, so that its network counts it as it stands now.
            classifier.classify(shaping.address());
        }
        state.close();
    }

    /**
     * Each reply, twice: first with the command handler that answered (the only call that says which command it was),
     * then with the line handler about to write it, where a delayed reply is queued instead.
     */
    @Override
    public Response onResponse(ProtocolSession session, Response response, long executionTime, ProtocolHandler handler) {
        ConnectionState state = response == null ? null : ConnectionState.of(session);
        if (state == null || state.shaping() == null) {
            return response;
        }
        SmtpCommand command = SmtpCommand.answeredBy(handler);
        if (command != null) {
            return afterCommand((SMTPSession) session, state, response, command);
        }
        return handler instanceof LineHandler ? beforeWrite((SMTPSession) session, state, response) : response;
    }

    private Response beforeWrite(SMTPSession session, ConnectionState state, Response response) {
        ShapedConnection shaping = state.shaping();
        if (!shaping.exempt() && session.getUsername() != null) {
            log.authenticated(shaping, session.getUsername().asString());
            state.unshape();
        }
        if (!shaping.decided()) {
            // Behind a PROXY-protocol load balancer this first command ran undecided.
            Response refusal = decider.decide(session, state, policy, "first command");
            Response blocked = refusal == null ? decider.blockedReply(shaping) : refusal;
            if (blocked != null) {
                return blocked;
            }
        }
        if (state.pregreeted()) {
            state.pregreeted(false);
            decider.pregreetPassed(shaping);
        }
        if (response.isEndSession()) {
            state.sessionEnding();
        }
        long delay = shaping.settings().replyDelayNanos();
        if (state.replies().hasPending() || delay > 0) {
            state.replies().enqueue(response, delay);
            return new NoReply(response.getRetCode());
        }
        return response;
    }

    /**
     * After a successful HELO/EHLO or MAIL FROM the class is checked again (here rather than in hooks: James runs
     * every hook of the chain, with its logger and JMX counters, on every command). A refusal replaces the reply and
     * ends the session; the command's own effect (a HELO name, a sender) goes with it.
     */
    private Response afterCommand(SMTPSession session, ConnectionState state, Response response, SmtpCommand command) {
        String code = response.getRetCode();
        state.inAuth(command == SmtpCommand.AUTH && "334".equals(code));
        if (command == SmtpCommand.DATA) {
            if ("354".equals(code)) {
                state.enterData(true);
            }
            return response;
        }
        if ((command != SmtpCommand.MAIL && !command.isGreeting()) || code == null || !code.startsWith("2")) {
            return response;
        }
        if (command.isGreeting()) {
            state.pipeliningOffered(command == SmtpCommand.EHLO);
        }
        state.enterData(false);
        ShapedConnection shaping = state.shaping();
        Response refusal = decider.recheck(session, state, policy, command.isGreeting() ? "HELO/EHLO" : "MAIL FROM");
        if (refusal == null && command == SmtpCommand.MAIL && shaping.overMessageLimit()) {
            log.overMessageLimit(shaping);
            refusal = SmtpReplies.TOO_MANY_MESSAGES;
        }
        return refusal == null ? response : refusal;
    }

    @Override
    public HookResult doRcpt(SMTPSession session, MaybeSender sender, MailAddress rcpt, Map<String, String> parameters) {
        ConnectionState state = ConnectionState.of(session);
        if (state == null || state.shaping() == null || !state.shaping().overRecipientLimit(session.getRcptCount())) {
            return HookResult.DECLINED;
        }
        log.limitRejected();
        return SmtpReplies.TOO_MANY_RECIPIENTS;
    }

    @Override
    public HookResult onMessage(SMTPSession session, Mail mail) {
        ConnectionState state = ConnectionState.of(session);
        if (state == null || state.shaping() == null) {
            return HookResult.DECLINED;
        }
        state.shaping().messageReceived();
        state.enterData(false);
        if (state.shaping().decided()) {
            mail.setAttribute(new Attribute(SENDER_CLASS, AttributeValue.of(state.shaping().decision().level())));
        }
        if (!state.shaping().refusesMessages()) {
            return HookResult.DECLINED;
        }
        log.messageRefused(state.shaping());
        return SmtpReplies.MESSAGE_REFUSED;
    }

    /** What the line gate of one connection asks of the shaper. */
    private final class GateShaper implements LineGate.Shaper {
        private final SMTPSession session;
        private final ConnectionState state;

        GateShaper(SMTPSession session, ConnectionState state) {
            this.session = session;
            this.state = state;
        }

        @Override
        public Response refusalBefore() {
            ShapedConnection shaping = state.shaping();
            if (!shaping.decided()) {
                // Behind a PROXY-protocol load balancer the real client is known from the first command on.
                Response refusal = decider.decide(session, state, policy, "first command");
                if (refusal != null) {
                    return refusal;
                }
            }
            return shaping.exempt() ? null : decider.blockedReply(shaping);
        }

        @Override
        public Response earlyTalk() {
            return decider.earlyTalk(session, state, policy);
        }

        @Override
        public void pipelinedUnasked() {
            decider.pipelinedUnasked(state);
        }

        @Override
        public Response overHeld() {
            return decider.overHeld(state);
        }

        @Override
        public long endOfDataDelayNanos() {
            return state.shaping().settings().replyDelayNanos();
        }
    }
}
