"""The public-service portal: citizens sign in through OnceGov's own OpenID Connect provider,
with the portal as a registered confidential relying party (Authlib's client over HTTP)."""
