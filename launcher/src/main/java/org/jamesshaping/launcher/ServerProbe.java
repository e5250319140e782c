package org.jamesshaping.launcher;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.stream.Collectors;

import javax.inject.Inject;

import org.apache.james.core.Domain;
import org.apache.james.core.Username;
import org.apache.james.domainlist.api.DomainList;
import org.apache.james.imapserver.netty.IMAPServerFactory;
import org.apache.james.smtpserver.netty.SMTPServerFactory;
import org.apache.james.user.api.UsersRepository;
import org.apache.james.utils.GuiceProbe;
import org.apache.james.webadmin.WebAdminServer;

/** Reads a started James: where it listens, and first-start provisioning of a domain and a user. */
public class ServerProbe implements GuiceProbe {
    private final SMTPServerFactory smtpServers;
    private final IMAPServerFactory imapServers;
    private final WebAdminServer webAdmin;
    private final DomainList domains;
    private final UsersRepository users;

    @Inject
    public ServerProbe(SMTPServerFactory smtpServers, IMAPServerFactory imapServers, WebAdminServer webAdmin,
                       DomainList domains, UsersRepository users) {
        this.smtpServers = smtpServers;
        this.imapServers = imapServers;
        this.webAdmin = webAdmin;
        this.domains = domains;
        this.users = users;
    }

    /** Listen addresses of every {@code <smtpserver>}, in configuration order. */
    public List<List<InetSocketAddress>> smtpAddresses() {
        return smtpServers.getServers().stream()
            .map(server -> server.getListenAddresses())
            .collect(Collectors.toList());
    }

    public int smtpPort(int serverIndex) {
        return smtpAddresses().get(serverIndex).get(0).getPort();
    }

    /** Port of the {@code serverIndex}-th {@code <imapserver>} of imapserver.xml. */
    public int imapPort(int serverIndex) {
        return imapServers.getServers().get(serverIndex).getListenAddresses().get(0).getPort();
    }

    public int webAdminPort() {
        return webAdmin.getPort().getValue();
    }

    /** Creates the domain and user when missing; true when the user was created. */
    public boolean provision(String domain, String user, String password) throws Exception {
        Domain parsedDomain = Domain.of(domain);
        if (!domains.containsDomain(parsedDomain)) {
            domains.addDomain(parsedDomain);
        }
        Username username = Username.of(user);
        if (!users.contains(username)) {
            users.addUser(username, password);
            return true;
        }
        return false;
    }
}
