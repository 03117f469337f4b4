package io.github.outboundrelay.common.auth;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * An HTTP response body read as UTF-8 text up to a limit: a declared length above it is refused before reading, and a
 * body that grows past it is cut off there, so an endpoint cannot make this JVM buffer what it likes.
 */
public final class LimitedBody implements HttpResponse.BodySubscriber<String> {
    /** The body was, or was declared, larger than the limit. */
    static final class TooLargeException extends IOException {
        TooLargeException(long limit) {
            super("response body larger than " + limit + " bytes");
        }
    }

    private final int limit;
    private final long declaredLength;
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CompletableFuture<String> body = new CompletableFuture<>();
    private Flow.Subscription subscription;

    private LimitedBody(int limit, long declaredLength) {
        this.limit = limit;
        this.declaredLength = declaredLength;
    }

    static LimitedBody of(HttpResponse.ResponseInfo info, int limit) {
        return new LimitedBody(limit, info.headers().firstValueAsLong("Content-Length").orElse(-1));
    }

    @Override
    public void onSubscribe(Flow.Subscription subscription) {
        this.subscription = subscription;
        if (declaredLength > limit) {
            tooLarge();
            return;
        }
        subscription.request(Long.MAX_VALUE); // Bounded below by counting, not by asking for little.
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
        if (body.isDone()) {
            return;
        }
        for (ByteBuffer buffer : buffers) {
            if (bytes.size() + (long) buffer.remaining() > limit) {
                tooLarge();
                return;
            }
            byte[] chunk = new byte[buffer.remaining()];
            buffer.get(chunk);
            bytes.write(chunk, 0, chunk.length);
        }
    }

    @Override
    public void onError(Throwable failure) {
        body.completeExceptionally(failure);
    }

    @Override
    public void onComplete() {
        body.complete(bytes.toString(StandardCharsets.UTF_8));
    }

    @Override
    public CompletionStage<String> getBody() {
        return body;
    }

    private void tooLarge() {
        subscription.cancel();
        body.completeExceptionally(new TooLargeException(limit));
    }
}
