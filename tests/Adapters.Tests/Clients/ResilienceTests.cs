using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Http.Resilience;
using OneClickSuite.Clients;
using Xunit;

namespace OneClickSuite.Clients.Tests;

/// <summary>
/// The clients whose retries matter get a resilience handler of their own in place of the one ServiceDefaults gives
/// every client, so the settings a service makes for them (options named <c>{Client}-standard</c>) take effect.
/// </summary>
public sealed class ResilienceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Payment_Hub_submissions_are_never_resent_while_its_reads_are_retried()
    {
        using var host = Build(builder => builder.AddPaymentHubClient(), "PaymentHubClient", out var upstream);
        var http = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("PaymentHubClient");

        using (await http.PostAsync("http://hub/batchtransactions", new StringContent("[]"), Ct)) { }
        Assert.Equal(1, upstream.Calls);

        upstream.Calls = 0;
        using (await http.GetAsync("http://hub/api/v1/batch?batchId=1", Ct)) { }
        Assert.Equal(4, upstream.Calls);
    }

    [Fact]
    public async Task A_services_own_setting_for_the_Fineract_client_applies()
    {
        using var host = Build(builder =>
        {
            builder.Configuration["Fineract:BaseUrl"] = "http://fineract";
            builder.Configuration["Fineract:Password"] = "unused";
            builder.AddFineractClient();
            builder.Services.Configure<HttpStandardResilienceOptions>("FineractClient-standard", o => o.Retry.MaxRetryAttempts = 1);
        }, "FineractClient", out var upstream);
        var http = host.Services.GetRequiredService<IHttpClientFactory>().CreateClient("FineractClient");

        using (await http.GetAsync("http://fineract/fineract-provider/api/v1/clients", Ct)) { }
        Assert.Equal(2, upstream.Calls);
    }

    /// <summary>ServiceDefaults, the registration, and an upstream that always answers 503 (retries a millisecond apart).</summary>
    private static IHost Build(Action<HostApplicationBuilder> register, string client, out Upstream upstream)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.AddServiceDefaults();
        register(builder);
        builder.Services.Configure<HttpStandardResilienceOptions>($"{client}-standard", o =>
        {
            o.Retry.Delay = TimeSpan.FromMilliseconds(1);
            o.Retry.UseJitter = false;
        });
        var answering = new Upstream();
        builder.Services.AddHttpClient(client).ConfigurePrimaryHttpMessageHandler(() => answering);
        upstream = answering;
        return builder.Build();
    }

    public sealed class Upstream : HttpMessageHandler
    {
        public int Calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        }
    }
}
