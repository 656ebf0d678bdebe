// Runs telegram-test-api (from /work/main/node_modules) for bot/emulator.py.
//
// - Listens on 127.0.0.1 on a port the OS picks, then prints {"port": N} as one line on
//   stdout: the Python side reads it, so there is no race for a "free" port.
// - Exits when stdin closes (the Python process that started it ended, even by a crash) or on
//   SIGTERM/SIGINT: the emulator never outlives its test.
// - Adds two things the package lacks (registered before its own routes):
//   * POST /sendCallback answers {callback_query_id}, so a client knows which press a bot's
//     answerCallbackQuery belongs to (the package answers null);
//   * answerCallbackQuery calls are recorded and POST /getCallbackAnswers {token} lists
//     them (the package drops them: without this a test cannot see the toast a user gets).
'use strict';

const TelegramServer = require('telegram-test-api');
const { routes } = require('telegram-test-api/lib/routes/index');

const answers = [];

routes.unshift((app, server) => {
  app.post('/sendCallback', (req, res) => {
    const id = server.callbackId; // addUserCallback assigns this id, then increments it
    server.addUserCallback(req.body).then(
      () => res.json({ ok: true, result: { callback_query_id: String(id) } }),
      (err) => res.status(400).json({ ok: false, description: String(err) }),
    );
  });
  app.all('/bot:token/answerCallbackQuery', (req, _res, next) => {
    answers.push({ token: req.params.token, ...req.body });
    next(); // the package's own handler replies
  });
  app.post('/getCallbackAnswers', (req, res) => {
    res.json({ ok: true, result: answers.filter((a) => a.token === req.body.token) });
  });
});

async function main() {
  // storeTimeout: the package deletes messages older than this (default 60 s), history too.
  const server = new TelegramServer({ host: '127.0.0.1', port: 1, storeTimeout: 24 * 3600 });
  server.config.port = 0; // normalizeConfig turns 0 into 9000; set it after construction
  await server.start();
  process.stdout.write(`${JSON.stringify({ port: server.server.address().port })}\n`);

  const stop = () => {
    setTimeout(() => process.exit(0), 1000).unref(); // don't wait on kept-alive sockets
    server.stop().finally(() => process.exit(0));
  };
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
