// The far side of the process.send round trip: echo every message.
process.on('message', (message) => {
  if (message === 'stop') process.disconnect();
  else process.send(message);
});
process.send('ready');
