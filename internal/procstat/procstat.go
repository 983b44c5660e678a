package procstat

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Field returns a "kB" field of /proc/PID/status (e.g. "VmRSS", "VmHWM")
// in bytes.
func Field(pid int, name string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), name+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024, err
		}
	}
	if err := s.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("procstat: %s not in /proc/%d/status", name, pid)
}
