// An OpenID Connect provider for the single sign-on tests: panva's oidc-provider (OpenID
// Certified), on 127.0.0.1, with the clients and accounts the tests give it.
//
// Environment: OIDC_PORT, OIDC_CLIENTS (JSON list of {client_id, client_secret, redirect_uris}),
// OIDC_ACCOUNTS (JSON: login name -> claims). Prints one JSON line {"issuer": ...} when ready.
//
// The log-in page (/interaction/:uid) asks for a login name only: the tests are about what the
// app does with the provider's answer, not about the provider's passwords.
//
// POST /__test/mode with body "mode=..." makes the provider misbehave on purpose, by re-signing
// the ID token of its token response with its own key: "wrong-audience" (aud names another
// client, while azp still names the app, so only a check of aud catches it) or "expired" (issued two hours ago, expired one hour ago); "normal" undoes it.
import { generateKeyPair, exportJWK, SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const clients = JSON.parse(process.env.OIDC_CLIENTS);
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS);
let mode = 'normal';

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients: clients.map((c) => ({
    ...c,
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  })),
  jwks: { keys: [jwk] },
  cookies: { keys: ['surveyapp-test-cookie-key'] },
  claims: {
    openid: ['sub', 'roles', 'groups'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  conformIdTokenClaims: false, // claims in the ID token, as Microsoft Entra ID sends them
  features: { devInteractions: { enabled: false } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, id) {
    if (!(id in accounts)) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...accounts[id] }; } };
  },
});

function page(uid, error) {
  return `<!doctype html><html lang="en"><head><title>Test identity provider</title></head>
<body><main><h1>Test identity provider</h1>${error ? `<p role="alert">${error}</p>` : ''}
<form method="post" action="/interaction/${uid}">
<label for="login">Username</label> <input id="login" name="login" autocomplete="off">
<button type="submit">Sign in</button></form></main></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/__test/mode' && ctx.method === 'POST') {
    mode = (await readForm(ctx.req)).get('mode') || 'normal';
    ctx.status = 204;
    return;
  }
  const match = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (match) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (ctx.method === 'GET') {
      ctx.type = 'html';
      ctx.body = page(details.uid);
      return;
    }
    const login = (await readForm(ctx.req)).get('login') || '';
    if (!(login in accounts)) {
      ctx.type = 'html';
      ctx.status = 400;
      ctx.body = page(details.uid, 'No such user');
      return;
    }
    const grant = new provider.Grant({ accountId: login, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const grantId = await grant.save();
    ctx.respond = false;
    await provider.interactionFinished(
      ctx.req, ctx.res,
      { login: { accountId: login }, consent: { grantId } },
      { mergeWithLastSubmission: false },
    );
    return;
  }
  await next();
  if (ctx.path === '/token' && mode !== 'normal' && ctx.body && ctx.body.id_token) {
    const claims = decodeJwt(ctx.body.id_token);
    const { kid } = decodeProtectedHeader(ctx.body.id_token);
    const now = Math.floor(Date.now() / 1000);
    if (mode === 'wrong-audience') Object.assign(claims, { aud: 'another-app', azp: claims.aud });
    if (mode === 'expired') Object.assign(claims, { iat: now - 7200, exp: now - 3600 });
    const idToken = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).sign(privateKey);
    ctx.body = { ...ctx.body, id_token: idToken };
  }
});

provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
