// A real OpenID Connect provider for the single sign-on tests (tests/oidc/):
// the npm package oidc-provider, pinned in package.json, on a free loopback
// port. Not a mock: discovery, authorization code flow with PKCE, signed ID
// tokens (RS256, a key made at start), token and userinfo endpoints, and the
// package's own development login pages (any password is accepted; the login
// is the account's id).
//
// Configured by the pytest fixture through the environment:
//   OIDC_TEST_CLIENT_ID, OIDC_TEST_CLIENT_SECRET, OIDC_TEST_REDIRECT_URI,
//   OIDC_TEST_POST_LOGOUT_REDIRECT_URI (optional),
//   OIDC_TEST_ACCOUNTS: JSON {login: {email, email_verified}} kept in memory.
// Prints one JSON line {"issuer": "http://127.0.0.1:<port>"} once it listens,
// and stops on SIGTERM.

import { generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer } from "node:http";

import Provider from "oidc-provider";

const env = process.env;
const accounts = JSON.parse(env.OIDC_TEST_ACCOUNTS || "{}");
const client = {
  client_id: env.OIDC_TEST_CLIENT_ID,
  client_secret: env.OIDC_TEST_CLIENT_SECRET,
  redirect_uris: [env.OIDC_TEST_REDIRECT_URI],
  post_logout_redirect_uris: env.OIDC_TEST_POST_LOGOUT_REDIRECT_URI ? [env.OIDC_TEST_POST_LOGOUT_REDIRECT_URI] : [],
  response_types: ["code"],
  grant_types: ["authorization_code"],
  // mozilla-django-oidc sends the secret in the token request's body.
  token_endpoint_auth_method: "client_secret_post",
};

const server = createServer();
server.listen(0, "127.0.0.1", () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const signingKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "jwk" });

  const provider = new Provider(issuer, {
    clients: [client],
    jwks: { keys: [{ ...signingKey, kid: "test-signing-key", use: "sig", alg: "RS256" }] },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    claims: { openid: ["sub"], email: ["email", "email_verified"] },
    async findAccount(_ctx, id) {
      const account = accounts[id];
      if (!account) return undefined;
      return { accountId: id, async claims() { return { sub: id, ...account }; } };
    },
    // The app must send a code challenge (S256) on every request, as it does.
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    // A hospital's provider does not ask its own staff to consent to its own
    // app: the grant is made on first sign-in, as a first-party client's is.
    async loadExistingGrant(ctx) {
      const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (grantId) return ctx.oidc.provider.Grant.find(grantId);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope("openid email");
      grant.addOIDCClaims(["email", "email_verified"]);
      await grant.save();
      return grant;
    },
  });
  // Its built-in pages import a web font from fonts.googleapis.com: the
  // tests reach nothing beyond loopback, so the import is taken out.
  provider.use(async (ctx, next) => {
    await next();
    if (typeof ctx.body === "string") ctx.body = ctx.body.replace(/@import url\(https:[^)]*\);?/g, "");
  });
  server.on("request", provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});

process.on("SIGTERM", () => server.close(() => process.exit(0)));
