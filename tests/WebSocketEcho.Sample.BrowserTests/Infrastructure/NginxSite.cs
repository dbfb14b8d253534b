using System.Globalization;

namespace WebSocketEcho.Sample.BrowserTests.Infrastructure;

/// <summary>
/// The nginx configuration the proxy tests run: TLS terminated at nginx, plain http to the sample, WebSocket upgrades
/// passed through. <see cref="UpgradeMap"/> and <see cref="Location"/> are what docs/deploying.md shows (a test keeps the
/// two the same); the rest keeps every file nginx writes inside the test's folder.
/// </summary>
/// <param name="Upstream">The sample's http address.</param>
internal sealed record NginxSite(Uri Upstream)
{
    /// <summary>
    /// The <c>Connection</c> header to send upstream: <c>upgrade</c> when the client asked for an upgrade, else
    /// <c>close</c> (nginx's documented idiom; a plain request then does not try to upgrade anything).
    /// </summary>
    public const string UpgradeMap = """
        map $http_upgrade $connection_upgrade {
            default upgrade;
            ''      close;
        }
        """;

    /// <summary>Gets how long nginx waits for the next byte from the sample before it closes the connection (nginx's default: 60 s).</summary>
    public TimeSpan ReadTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Gets a value indicating whether nginx tells the sample the client's scheme (<c>X-Forwarded-Proto</c>); off only in a control test.</summary>
    public bool ForwardProto { get; init; } = true;

    /// <summary>
    /// Gets the nginx variable sent as <c>Host</c>: <c>$http_host</c>, the browser's own (with its port); a control test
    /// uses <c>$host</c>, the often-copied one, which drops the port.
    /// </summary>
    public string HostVariable { get; init; } = "$http_host";

    /// <summary>The <c>location</c> block that proxies the page, <c>/stats</c> and the WebSockets to the sample.</summary>
    public string Location()
    {
        var lines = new List<string>
        {
            "location / {",
            $"    proxy_pass {Upstream.GetLeftPart(UriPartial.Authority)};",
            "    proxy_http_version 1.1;",
            "    proxy_set_header Upgrade $http_upgrade;",
            "    proxy_set_header Connection $connection_upgrade;",
            $"    proxy_set_header Host {HostVariable};",
            "    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        };
        if (ForwardProto)
        {
            lines.Add("    proxy_set_header X-Forwarded-Proto $scheme;");
        }

        lines.Add(string.Create(CultureInfo.InvariantCulture, $"    proxy_read_timeout {ReadTimeout.TotalSeconds:0}s;"));
        lines.Add("}");
        return string.Join('\n', lines);
    }

    /// <summary>The whole nginx.conf: in the foreground, every file under <paramref name="folder"/>, TLS on 127.0.0.1:<paramref name="port"/>.</summary>
    public string Render(string folder, int port) => $$"""
        daemon off;
        worker_processes 1;
        pid {{folder}}/nginx.pid;
        error_log {{folder}}/error.log info;

        events {
            worker_connections 64;
        }

        http {
            access_log {{folder}}/access.log;
            client_body_temp_path {{folder}}/client_body_temp;
            proxy_temp_path {{folder}}/proxy_temp;
            fastcgi_temp_path {{folder}}/fastcgi_temp;
            uwsgi_temp_path {{folder}}/uwsgi_temp;
            scgi_temp_path {{folder}}/scgi_temp;

        {{Indent(UpgradeMap, 1)}}

            server {
                listen 127.0.0.1:{{port}} ssl;
                ssl_certificate {{folder}}/server.crt;
                ssl_certificate_key {{folder}}/server.key;

        {{Indent(Location(), 2)}}
            }
        }

        """;

    private static string Indent(string block, int levels)
    {
        var indent = new string(' ', 4 * levels);
        return string.Join('\n', block.Split('\n').Select(line => indent + line));
    }
}
