package org.jamesshaping.filter.content;

import java.util.List;

/**
 * What the content filters look at in a message, already decoded: the headers, the readable text of the body
 * (HTML parts reduced to their text so a spammer cannot dodge a signature by switching formats), and a few
 * structural counts.
 */
public final class MessageContent {
    /** One header field, name as written and value unfolded. */
    public static final class Header {
        private final String name;
        private final String value;

        public Header(String name, String value) {
            this.name = name;
            this.value = value;
        }

        public String name() {
            return name;
        }

        public String value() {
            return value;
        }
    }

    private final List<Header> headers;
    private final String bodyText;
    private final boolean htmlOnly;
    private final int linkCount;
    private final int imageCount;
    private final int attachmentCount;
    private final int recipientCount;
    private final int rawSize;
    private final List<String> linkHosts;

    public MessageContent(List<Header> headers, String bodyText, boolean htmlOnly, int linkCount, int imageCount,
                          int attachmentCount, int recipientCount, int rawSize, List<String> linkHosts) {
        this.headers = List.copyOf(headers);
        this.bodyText = bodyText;
        this.htmlOnly = htmlOnly;
        this.linkCount = linkCount;
        this.imageCount = imageCount;
        this.attachmentCount = attachmentCount;
        this.recipientCount = recipientCount;
        this.rawSize = rawSize;
        this.linkHosts = List.copyOf(linkHosts);
    }

    public List<Header> headers() {
        return headers;
    }

    /** The readable text of all text parts, HTML converted to text; never null. */
    public String bodyText() {
        return bodyText;
    }

    /** True when the message has an HTML body and no plain-text alternative. */
    public boolean htmlOnly() {
        return htmlOnly;
    }

    public int linkCount() {
        return linkCount;
    }

    public int imageCount() {
        return imageCount;
    }

    public int attachmentCount() {
        return attachmentCount;
    }

    /** Recipients named in To and Cc (the envelope may differ; the headers are what a bulk sender forges). */
    public int recipientCount() {
        return recipientCount;
    }

    /** Size of the raw message in bytes, or -1 when unknown. */
    public int rawSize() {
        return rawSize;
    }

    /** Host names of the links in the body, lower case, at most a few dozen. */
    public List<String> linkHosts() {
        return linkHosts;
    }
}
