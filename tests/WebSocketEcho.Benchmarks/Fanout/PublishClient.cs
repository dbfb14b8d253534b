using System.Globalization;
using System.Net;

namespace WebSocketEcho.Benchmarks.Fanout;

/// <summary>The runner's control connection to a fan-out server: asks it to publish (<see cref="PublishEndpoint"/>), checks it is up.</summary>
internal sealed class PublishClient : IDisposable
{
    private readonly HttpClient _http;

    public PublishClient(IPEndPoint server) =>
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Port}/"), Timeout = Timeout.InfiniteTimeSpan };

    /// <summary>The servers' readiness probe: <c>GET /ready</c> answers <c>ready</c>.</summary>
    public static async Task ProbeAsync(IPEndPoint server, CancellationToken cancellationToken)
    {
        using var client = new PublishClient(server);
        var answer = await client._http.GetStringAsync(new Uri("ready", UriKind.Relative), cancellationToken);
        if (answer != "ready")
        {
            throw new InvalidDataException($"GET /ready answered '{answer}'.");
        }
    }

    /// <summary>
    /// Publishes messages <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> - 1, every
    /// <paramref name="interval"/> (zero: as fast as the server can), to all or to each of <paramref name="groups"/>;
    /// returns the server's Stopwatch timestamps of the first publish and of the end of the last.
    /// </summary>
    public async Task<(long Start, long End)> PublishAsync(long first, int count, int size, TimeSpan interval, IReadOnlyList<string>? groups, CancellationToken cancellationToken)
    {
        var uri = string.Create(CultureInfo.InvariantCulture, $"publish?first={first}&count={count}&size={size}");
        if (interval > TimeSpan.Zero)
        {
            uri += string.Create(CultureInfo.InvariantCulture, $"&interval={(long)interval.TotalMicroseconds}");
        }

        if (groups is { Count: > 0 })
        {
            uri += "&groups=" + string.Join(',', groups);
        }

        using var response = await _http.PostAsync(new Uri(uri, UriKind.Relative), null, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidDataException($"POST /{uri} answered {(int)response.StatusCode}: {body}");
        }

        var parts = body.Split(' ');
        return (long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture));
    }

    public void Dispose() => _http.Dispose();
}
