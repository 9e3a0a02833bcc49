package main

import "runtime/debug"

// buildVersion is set at link time with -ldflags "-X main.buildVersion=v1.2.3".
var buildVersion = ""

// version returns the link-time version, else the module version, else
// the VCS revision recorded by the Go toolchain, else "devel".
func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, setting := range info.Settings {
		if setting.Key == "vcs.revision" && len(setting.Value) >= 12 {
			return "devel-" + setting.Value[:12]
		}
	}
	return "devel"
}
