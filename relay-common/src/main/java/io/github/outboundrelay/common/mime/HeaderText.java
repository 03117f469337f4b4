package io.github.outboundrelay.common.mime;

import io.github.outboundrelay.common.MailAddress;

import java.util.List;
import java.util.function.IntPredicate;

/**
 * Header values as they go on the wire: unstructured text (Subject, extra headers) and mailboxes (From, To...).
 * Text that a parser would read back differently as plain ASCII goes into RFC 2047 encoded words as a whole.
 */
final class HeaderText {
    /** Longer plain words are encoded: folding can only break between words, and a line may not pass 998. */
    private static final int MAX_PLAIN_WORD = 76;

    private HeaderText() {
    }

    /**
     * Subject and extra headers: plain when every character reads back the same, else encoded words. {@code out}
     * holds the header line so far ("Name: ").
     */
    static void appendUnstructured(StringBuilder out, String text) {
        if (isPlainText(text)) {
            out.append(text);
        } else {
            EncodedWords.append(out, text, out.length());
        }
    }

    /** {@code out} holds the header line so far ("Name: "). {@code a@b}, {@code Name <a@b>}, {@code "Name, Inc." <a@b>} or {@code =?UTF-8?B?...?= <a@b>}. */
    static void appendMailbox(StringBuilder out, MailAddress mailbox) {
        appendMailbox(out, mailbox, out.length());
    }

    /** {@code column}: where the mailbox starts on its line if no fold can go before it, else 1. */
    private static void appendMailbox(StringBuilder out, MailAddress mailbox, int column) {
        String name = mailbox.displayName();
        if (name.isEmpty()) {
            out.append(mailbox.address());
            return;
        }
        if (isAtoms(name)) {
            out.append(name);
        } else if (isQuotable(name)) {
            out.append('"');
            for (int i = 0; i < name.length(); i++) {
                char c = name.charAt(i);
                if (c == '"' || c == '\\') {
                    out.append('\\');
                }
                out.append(c);
            }
            out.append('"');
        } else {
            EncodedWords.append(out, name, column);
        }
        out.append(" <").append(mailbox.address()).append('>');
    }

    static void appendMailboxes(StringBuilder out, List<MailAddress> mailboxes) {
        for (int i = 0; i < mailboxes.size(); i++) {
            if (i > 0) {
                out.append(", ");
            }
            appendMailbox(out, mailboxes.get(i), i == 0 ? out.length() : 1);
        }
    }

    /**
     * Printable ASCII words separated by single spaces, none of them long, none looking like an encoded word:
     * anything else (leading, trailing or repeated whitespace, tabs, "=?") could be read back changed.
     */
    private static boolean isPlainText(String text) {
        if (text.isEmpty()) {
            return true;
        }
        if (text.contains("=?") || text.charAt(0) == ' ' || text.charAt(text.length() - 1) == ' ') {
            return false;
        }
        int word = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == ' ') {
                if (text.charAt(i - 1) == ' ') {
                    return false;
                }
                word = 0;
            } else if (c < 0x21 || c > 0x7E || ++word > MAX_PLAIN_WORD) {
                return false;
            }
        }
        return true;
    }

    /** RFC 5322 atext words separated by single spaces: a phrase that needs no quotes. */
    private static boolean isAtoms(String name) {
        return isWords(name, HeaderText::isAtext);
    }

    /** Printable ASCII and single spaces, which a quoted string keeps. */
    private static boolean isQuotable(String name) {
        return isWords(name, c -> c >= 0x21 && c <= 0x7E);
    }

    /** Words of {@code allowed} characters, none longer than a plain word may be, separated by single spaces. */
    private static boolean isWords(String name, IntPredicate allowed) {
        if (name.contains("=?")) {
            return false;
        }
        int word = 0;
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == ' ') {
                if (i == 0 || name.charAt(i - 1) == ' ' || i == name.length() - 1) {
                    return false;
                }
                word = 0;
            } else if (!allowed.test(c) || ++word > MAX_PLAIN_WORD) {
                return false;
            }
        }
        return true;
    }

    private static boolean isAtext(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                || "!#$%&'*+-/=?^_`{|}~".indexOf(c) >= 0;
    }
}
