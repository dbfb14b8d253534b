using System.Buffers;
using System.Text.Unicode;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using WebSocketEcho.Middleware;

namespace WebSocketEcho.Sample;

/// <summary>
/// <c>POST /chat/messages</c>: pushes the request body, as text, to every chat page, from outside any socket
/// (<c>curl -d 'hello' http://localhost:1234/chat/messages</c>). Answers 202 with the number of pages reached on this
/// instance; an empty body, a body over the chat's <c>MaxMessageSize</c>, or one that is not UTF-8 gets 400.
/// </summary>
internal static class ChatMessages
{
    public const string Path = "/chat/messages";

    public static void MapChatMessages(this WebApplication app) => app.MapPost(Path, PostAsync);

    private static async Task<IResult> PostAsync(
        HttpRequest request, IWebSocketPush<ChatHandler> push, IOptionsMonitor<WebSocketHandlerOptions> options, CancellationToken cancellationToken)
    {
        var limit = options.Get(typeof(ChatHandler).FullName).MaxMessageSize;
        if (request.ContentLength > limit)
        {
            return TooBig(limit);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(limit + 1);
        try
        {
            var length = await request.Body.ReadAtLeastAsync(buffer.AsMemory(0, limit + 1), limit + 1, throwOnEndOfStream: false, cancellationToken);
            if (length == 0)
            {
                return TypedResults.Text("The body is empty: send the message text as the request body.\n", statusCode: StatusCodes.Status400BadRequest);
            }

            if (length > limit)
            {
                return TooBig(limit);
            }

            var text = buffer.AsMemory(0, length);
            if (!Utf8.IsValid(text.Span))
            {
                return TypedResults.Text("The body is not valid UTF-8 text.\n", statusCode: StatusCodes.Status400BadRequest);
            }

            var result = await push.All.SendTextAsync(text, cancellationToken);
            return TypedResults.Json(
                new ChatPostResult(result.Reached, result.Backplane.ToString()), SampleJsonContext.Default.ChatPostResult, statusCode: StatusCodes.Status202Accepted);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static ContentHttpResult TooBig(int limit) =>
        TypedResults.Text($"The body is larger than the chat's MaxMessageSize ({limit} bytes).\n", statusCode: StatusCodes.Status400BadRequest);
}

/// <summary>What <c>POST /chat/messages</c> answers.</summary>
/// <param name="Reached">The chat pages on this instance the message was handed to.</param>
/// <param name="Backplane">What the backplane did with it for other instances (<c>None</c> without one).</param>
internal sealed record ChatPostResult(int Reached, string Backplane);
