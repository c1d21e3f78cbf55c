package consumer

import (
	"os"
	"strings"
	"time"
)

// Test hooks, read from the environment once at start. They exist so that
// process-level reliability tests (reliability/) can make a real worker
// process die at exactly the moment under test; nothing sets them in
// production, and each one only makes a worker slower or kills it.
//
//	ORCD_TEST_EXIT_AFTER_TERMINAL=1  exit(3) right after publishing a job's
//	                                 terminal event, before the ack
//	ORCD_TEST_CRASH_ON_PROMPT=TEXT   exit(3) when a job whose prompt contains
//	                                 TEXT starts (a poison job that kills)
//	ORCD_TEST_TOKEN_DELAY=20ms       sleep before each token, so a job on a
//	                                 tiny model lasts long enough to kill
var (
	hookExitAfterTerminal = os.Getenv("ORCD_TEST_EXIT_AFTER_TERMINAL") == "1"
	hookCrashOnPrompt     = os.Getenv("ORCD_TEST_CRASH_ON_PROMPT")
	hookTokenDelay, _     = time.ParseDuration(os.Getenv("ORCD_TEST_TOKEN_DELAY"))
)

func testHookAfterTerminal() {
	if hookExitAfterTerminal {
		os.Exit(3)
	}
}

func testHookJobStart(prompt string) {
	if hookCrashOnPrompt != "" && strings.Contains(prompt, hookCrashOnPrompt) {
		os.Exit(3)
	}
}

func testHookToken() {
	if hookTokenDelay > 0 {
		time.Sleep(hookTokenDelay)
	}
}
