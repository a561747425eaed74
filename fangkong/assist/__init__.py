"""Regional assistance requests (区域协查) in and out, and the other inputs."""
