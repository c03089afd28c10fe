/**
 * Imported first by run.ts: the handlers' logger reads LOG_LEVEL when its module loads, so quiet it
 * before anything from lambdas/ is imported (errors still print).
 */
process.env.LOG_LEVEL ??= 'ERROR';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
