package org.jamesshaping.filter.mailet;

import java.util.Iterator;
import java.util.Map;

import org.apache.mailet.MailetConfig;
import org.apache.mailet.MailetContext;

/** The smallest MailetConfig: parameters from a map, no context (the filters never use it). */
final class TestMailetConfig implements MailetConfig {
    private final String name;
    private final Map<String, String> parameters;

    TestMailetConfig(String name, Map<String, String> parameters) {
        this.name = name;
        this.parameters = parameters;
    }

    @Override
    public String getInitParameter(String key) {
        return parameters.get(key);
    }

    @Override
    public Iterator<String> getInitParameterNames() {
        return parameters.keySet().iterator();
    }

    @Override
    public MailetContext getMailetContext() {
        return null;
    }

    @Override
    public String getMailetName() {
        return name;
    }
}
